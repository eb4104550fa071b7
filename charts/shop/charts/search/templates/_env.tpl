{{/* The search service's own environment: see src/internal/search/config.go. */}}
{{- define "search.env" -}}
{{ include "shop-lib.tracingEnv" . }}
{{- with include "search.elasticsearch" . | fromYaml }}
- name: ELASTICSEARCH_URL
  value: {{ .url | quote }}
- name: ELASTICSEARCH_INDEX
  value: {{ $.Values.elasticsearch.index | quote }}
- name: ELASTICSEARCH_USERNAME
  value: {{ .username | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "ELASTICSEARCH_PASSWORD" "secret" .secret "key" .key) }}
{{- if include "search.caSecret" $ }}
- name: ELASTICSEARCH_CA_CERT
  value: {{ printf "%s/%s" $.Values.elasticsearch.caMountPath .caKey | quote }}
{{- end }}
{{- end }}
{{ include "shop-lib.rabbitmqEnv" . }}
- name: CATALOG_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "catalog" "port" 5001 "override" .Values.catalogURL) | quote }}
{{ include "shop-lib.adminTokenEnv" . }}
{{- end }}

{{/*
search.elasticsearch is how search reaches Elasticsearch, as YAML, or nothing
when it uses its embedded index: url, username, secret and key (of its
password), caKey. With the bundled cluster, search is the file-realm user
elasticsearch.username (default search) whose role covers only its index
alias and the indices behind it, with its password in Secret
shop-elasticsearch-search, which the umbrella generates; with an external
cluster, global.elasticsearch.username unless elasticsearch.username,
existingSecret and passwordKey name its own.
*/}}
{{- define "search.elasticsearch" -}}
{{- $es := (include "shop-lib.globals" . | fromYaml).elasticsearch | default dict }}
{{- $own := .Values.elasticsearch }}
{{- if or $es.enabled $es.url }}
{{- $bundled := not $es.url }}
{{- $scheme := ternary "https" "http" (ne $es.tls false) }}
{{- $url := $es.url | default (printf "%s://%s-es-http:9200" $scheme (include "shop-lib.peerFullname" (dict "ctx" . "name" "elasticsearch"))) }}
{{- $user := $own.username | default (ternary "search" ($es.username | default "elastic") $bundled) }}
{{- $secret := $own.existingSecret | default (ternary "shop-elasticsearch-search" $es.existingSecret $bundled) }}
{{- $key := $own.passwordKey | default (ternary "password" ($es.passwordKey | default "elastic") $bundled) }}
{{- toYaml (dict "url" $url "username" $user "secret" $secret "key" $key "caKey" ($es.caKey | default "ca.crt") "bundled" $bundled) }}
{{- end }}
{{- end }}

{{/*
The Secret with the CA that signed Elasticsearch's certificate: the one ECK
makes for the bundled cluster, global.elasticsearch.caSecret for an external
one, none when an external URL is given without it.
*/}}
{{- define "search.caSecret" -}}
{{- $es := (include "shop-lib.globals" . | fromYaml).elasticsearch | default dict }}
{{- if or $es.enabled $es.url }}
{{- if $es.caSecret }}
{{- $es.caSecret }}
{{- else if and (not $es.url) (ne $es.tls false) }}
{{- printf "%s-es-http-certs-public" (include "shop-lib.peerFullname" (dict "ctx" . "name" "elasticsearch")) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "search.volumes" -}}
{{- with include "search.caSecret" . }}
- name: elasticsearch-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- end }}

{{- define "search.volumeMounts" -}}
{{- if include "search.caSecret" . }}
- name: elasticsearch-ca
  mountPath: {{ .Values.elasticsearch.caMountPath }}
  readOnly: true
{{- end }}
{{- end }}
