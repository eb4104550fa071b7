{{/*
shop.testPod renders a helm test Pod that runs the shop's own probe command
(/probe, built into every service image, see src/cmd/probe), so testing a
release pulls nothing from outside the cluster. It is hardened like the
services: non-root, read-only root filesystem, no privilege escalation, no
capabilities, seccomp RuntimeDefault, requests and limits.
Takes a dict: root, name (suffix of the Pod name), args (the probe's arguments).
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
      image: {{ include "shop.testImage" $root | quote }}
      imagePullPolicy: {{ .image.pullPolicy }}
      command: ["/probe"]
      args:
        {{- toYaml $.args | nindent 8 }}
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

{{/*
shop.testImage is the image of the test pods: one of the shop's own images
(the probe is in each), with global.imageRegistry as the service images
have it, and the chart's appVersion when no tag is set. Takes the root context.
*/}}
{{- define "shop.testImage" -}}
{{- $img := .Values.tests.image }}
{{- $registry := .Values.global.imageRegistry | default $img.registry }}
{{- printf "%s/%s:%s" $registry $img.repository ($img.tag | default .Chart.AppVersion) }}
{{- end }}
