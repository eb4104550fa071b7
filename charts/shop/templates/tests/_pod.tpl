{{/*
shop.testPod renders a helm test Pod that runs a shell script in the test
image, hardened like the services (non-root, read-only root filesystem, no
privilege escalation, no capabilities, seccomp RuntimeDefault, requests and
limits). Takes a dict: root, name (suffix of the Pod name), script.
*/}}
{{- define "shop.testPod" -}}
{{- $root := .root }}
{{- with $root.Values.tests }}
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-test-%s" (include "shop.fullname" $root) $.name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "shop.labels" $root | nindent 4 }}
    app.kubernetes.io/component: test
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    {{- toYaml .podSecurityContext | nindent 4 }}
  {{- with $root.Values.global.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  containers:
    - name: {{ $.name }}
      image: {{ printf "%s/%s:%s" .image.registry .image.repository .image.tag | quote }}
      imagePullPolicy: {{ .image.pullPolicy }}
      command: ["/bin/sh", "-ec"]
      args:
        - |
          {{- $.script | nindent 10 }}
      resources:
        {{- toYaml .resources | nindent 8 }}
      securityContext:
        {{- toYaml .securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 16Mi
{{- end }}
{{- end }}
