{{/* The search service's own environment: see src/internal/search/config.go. */}}
{{- define "search.env" -}}
{{ include "shop-lib.tracingEnv" . }}
{{- $es := (include "shop-lib.globals" . | fromYaml).elasticsearch | default dict }}
{{- if $es.enabled }}
{{- $bundled := include "shop-lib.peerFullname" (dict "ctx" . "name" "elasticsearch") }}
- name: ELASTICSEARCH_URL
  value: {{ $es.url | default (printf "https://%s-es-http:9200" $bundled) | quote }}
- name: ELASTICSEARCH_USERNAME
  value: {{ $es.username | default "elastic" | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "ELASTICSEARCH_PASSWORD" "secret" ($es.existingSecret | default (printf "%s-es-elastic-user" $bundled)) "key" ($es.passwordKey | default "elastic")) }}
{{- if include "search.caSecret" . }}
- name: ELASTICSEARCH_CA_CERT
  value: {{ printf "%s/%s" .Values.elasticsearch.caMountPath ($es.caKey | default "ca.crt") | quote }}
{{- end }}
{{- end }}
{{ include "shop-lib.rabbitmqEnv" . }}
- name: CATALOG_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "catalog" "port" 5001 "override" .Values.catalogURL) | quote }}
{{ include "shop-lib.adminTokenEnv" . }}
{{- end }}

{{/*
The Secret with the CA that signed Elasticsearch's certificate: the one ECK
makes for the bundled cluster, global.elasticsearch.caSecret for an external
one, none when an external URL is given without it.
*/}}
{{- define "search.caSecret" -}}
{{- $es := (include "shop-lib.globals" . | fromYaml).elasticsearch | default dict }}
{{- if $es.enabled }}
{{- if $es.caSecret }}
{{- $es.caSecret }}
{{- else if not $es.url }}
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
