{{/*
shop-lib.networkPolicy renders one NetworkPolicy. The umbrella chart builds
every policy of the release with it (templates/networkpolicies.yaml): the
default deny, one per service from the access matrix, one per bundled data
store. Both directions are always listed in policyTypes, so a policy with no
egress rules denies all egress of its pods, and likewise for ingress.
Takes a dict:
  name         the policy's name
  namespace    its namespace
  labels       its labels (a map)
  podSelector  the LabelSelector of the pods it governs (a map; empty: every pod of the namespace)
  ingress      NetworkPolicyIngressRules (a list, may be empty)
  egress       NetworkPolicyEgressRules (a list, may be empty)
*/}}
{{- define "shop-lib.networkPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .name }}
  namespace: {{ .namespace }}
  labels:
    {{- toYaml .labels | nindent 4 }}
spec:
  podSelector:
    {{- if .podSelector }}
    {{- toYaml .podSelector | nindent 4 }}
    {{- else }} {}
    {{- end }}
  policyTypes:
    - Ingress
    - Egress
  {{- if .ingress }}
  ingress:
    {{- toYaml .ingress | nindent 4 }}
  {{- else }}
  ingress: []
  {{- end }}
  {{- if .egress }}
  egress:
    {{- toYaml .egress | nindent 4 }}
  {{- else }}
  egress: []
  {{- end }}
{{- end }}
