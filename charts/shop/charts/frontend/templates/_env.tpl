{{/* The storefront's own environment: see src/internal/frontend/config.go. */}}
{{- define "frontend.env" -}}
{{ include "shop-lib.tracingEnv" . }}
- name: CATALOG_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "catalog" "port" 5001 "override" .Values.catalogURL) | quote }}
- name: SEARCH_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "search" "port" 5002 "override" .Values.searchURL) | quote }}
- name: ORDER_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "order" "port" 5003 "override" .Values.orderURL) | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "COOKIE_SECRET" "secret" (include "frontend.cookieSecretName" .) "key" .Values.cookie.key) }}
- name: COOKIE_SECURE
  value: {{ .Values.cookie.secure | quote }}
{{- end }}

{{/* The Secret with the cookie signing key. */}}
{{- define "frontend.cookieSecretName" -}}
{{- .Values.cookie.existingSecret | default (printf "%s-cookie" (include "shop-lib.fullname" .)) }}
{{- end }}

{{/* The Secret with the cookie signing key, generated unless cookie.existingSecret names one. */}}
{{- define "frontend.cookieSecret" -}}
{{- if not .Values.cookie.existingSecret }}
{{- include "shop-lib.generatedSecret" (dict "ctx" . "name" (include "frontend.cookieSecretName" .) "labels" (include "shop-lib.labels" .) "keys" (dict .Values.cookie.key 48)) }}
{{- end }}
{{- end }}
