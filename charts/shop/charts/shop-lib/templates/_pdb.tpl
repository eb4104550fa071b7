{{/*
shop-lib.pdb renders a policy/v1 PodDisruptionBudget when
podDisruptionBudget.enabled; maxUnavailable wins over minAvailable when both
are set. Takes the root context.
*/}}
{{- define "shop-lib.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "shop-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-lib.labels" . | nindent 4 }}
spec:
  {{- if .Values.podDisruptionBudget.maxUnavailable }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "shop-lib.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
