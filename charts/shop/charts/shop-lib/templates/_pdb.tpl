{{/*
shop-lib.pdb renders a policy/v1 PodDisruptionBudget when
podDisruptionBudget.enabled; maxUnavailable wins over minAvailable when both
are set. It refuses a single replica, which no drain could ever evict.
Takes the root context.
*/}}
{{- define "shop-lib.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
{{- $replicas := ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled | int }}
{{- if lt $replicas 2 }}
{{- fail (printf "%s: a PodDisruptionBudget over %d replica would block every node drain; run 2 or more (replicaCount, or autoscaling.minReplicas)" .Chart.Name $replicas) }}
{{- end }}
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
