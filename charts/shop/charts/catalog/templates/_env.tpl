{{/* The catalog's own environment: see src/internal/catalog/config.go. */}}
{{- define "catalog.env" -}}
{{ include "shop-lib.tracingEnv" . }}
{{ include "shop-lib.postgresqlEnv" . }}
{{ include "shop-lib.rabbitmqEnv" . }}
{{ include "shop-lib.adminTokenEnv" . }}
- name: SEED_CATALOG
  value: {{ .Values.seedCatalog | quote }}
{{- end }}
