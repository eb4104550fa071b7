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
{{- end }}
