{{/* The order service's own environment: see src/internal/order/config.go. */}}
{{- define "order.env" -}}
{{ include "shop-lib.tracingEnv" . }}
{{ include "shop-lib.postgresqlEnv" . }}
{{ include "shop-lib.rabbitmqEnv" . }}
- name: CATALOG_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "catalog" "port" 5001 "override" .Values.catalogURL) | quote }}
- name: PAYMENT_URL
  value: {{ include "shop-lib.serviceURL" (dict "ctx" . "name" "payment" "port" 5005 "override" .Values.paymentURL) | quote }}
{{ include "shop-lib.adminTokenEnv" . }}
{{- with .Values.smtp }}{{ if .host }}
- name: SMTP_HOST
  value: {{ .host | quote }}
- name: SMTP_PORT
  value: {{ .port | quote }}
- name: SMTP_FROM
  value: {{ .from | quote }}
{{- if .username }}
- name: SMTP_USERNAME
  value: {{ .username | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "SMTP_PASSWORD" "secret" .existingSecret "key" .passwordKey) }}
{{- end }}
{{- end }}{{ end }}
{{- end }}
