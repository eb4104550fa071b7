{{/* The payment service's own environment: see src/internal/payment/config.go. */}}
{{- define "payment.env" -}}
{{ include "shop-lib.tracingEnv" . }}
{{ include "shop-lib.postgresqlEnv" . }}
{{ include "shop-lib.rabbitmqEnv" . }}
{{ include "shop-lib.adminTokenEnv" . }}
- name: PAYMENT_PROVIDER
  value: {{ .Values.provider.name | quote }}
- name: PROVIDER_TIMEOUT
  value: {{ .Values.provider.timeout | quote }}
{{- if eq .Values.provider.name "stripe" }}
{{ include "shop-lib.secretEnv" (dict "name" "STRIPE_SECRET_KEY" "secret" .Values.provider.stripe.existingSecret "key" .Values.provider.stripe.secretKey) }}
{{- with .Values.provider.stripe.apiURL }}
- name: STRIPE_API_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
