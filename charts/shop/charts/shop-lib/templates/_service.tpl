{{/* shop-lib.service renders the ClusterIP Service in front of a service's pods. Takes the root context. */}}
{{- define "shop-lib.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "shop-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-lib.labels" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      appProtocol: http
  selector:
    {{- include "shop-lib.selectorLabels" . | nindent 4 }}
{{- end }}
