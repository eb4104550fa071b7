{{/*
shop-lib.networkPolicy renders a NetworkPolicy that admits traffic to the HTTP
port only from the services of the same release named in
networkPolicy.allowedClients, from this release's helm test pods, and from the
peers in networkPolicy.extraFrom (an ingress controller, Prometheus). Egress
is left open: the services reach databases that may live outside the cluster.
Takes the root context.
*/}}
{{- define "shop-lib.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "shop-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "shop-lib.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
  ingress:
    - ports:
        - port: http
          protocol: TCP
      from:
        {{- range .Values.networkPolicy.allowedClients }}
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ . }}
              app.kubernetes.io/instance: {{ $.Release.Name }}
        {{- end }}
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ .Release.Name }}
              app.kubernetes.io/component: test
        {{- with .Values.networkPolicy.extraFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
{{- end }}
