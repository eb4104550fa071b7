{{/*
shop-lib.generatedSecret renders an Opaque Secret whose values are random on
first install and kept on every upgrade: each key already present in the live
Secret (found with lookup) is reused, only missing keys are generated. The
Secret is kept on uninstall (helm.sh/resource-policy: keep) so a reinstall
finds the passwords its persistent volumes were initialised with.
Takes a dict:
  ctx     the chart's root context
  name    the Secret's name
  labels  the labels (YAML text)
  keys    a dict of key -> length of the random alphanumeric value
  once    a dict of key -> value made by the caller (a certificate), kept
          like the random ones once the Secret has it; optional
  fixed   a dict of key -> value always set, whatever the live Secret holds
          (a user name); optional
*/}}
{{- define "shop-lib.generatedSecret" -}}
{{- $ctx := .ctx }}
{{- $existing := lookup "v1" "Secret" $ctx.Release.Namespace .name }}
{{- $data := dict }}
{{- if $existing }}{{- $data = $existing.data | default dict }}{{- end }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- .labels | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  {{- range $key, $length := .keys }}
  {{- if hasKey $data $key }}
  {{ $key }}: {{ index $data $key }}
  {{- else }}
  {{ $key }}: {{ randAlphaNum (int $length) | b64enc }}
  {{- end }}
  {{- end }}
  {{- range $key, $value := .once | default dict }}
  {{ $key }}: {{ (hasKey $data $key) | ternary (index $data $key) ($value | b64enc) }}
  {{- end }}
  {{- range $key, $value := .fixed | default dict }}
  {{ $key }}: {{ $value | b64enc }}
  {{- end }}
{{- end }}

{{/*
shop-lib.secretEnv renders one env entry read from a Secret key.
Takes a dict: name (the variable), secret, key, optional (bool, default false).
*/}}
{{- define "shop-lib.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}
