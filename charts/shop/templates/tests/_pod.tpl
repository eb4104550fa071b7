{{/*
shop.testPod renders a helm test Pod that runs the shop's own probe command
(/probe, built into every service image, see src/cmd/probe), so testing a
release pulls nothing from outside the cluster. It is hardened like the
services: non-root, read-only root filesystem, no privilege escalation, no
capabilities, seccomp RuntimeDefault, requests and limits. It runs as the
tests' own ServiceAccount (shop.tests.serviceAccount), the identity the
mesh's AuthorizationPolicies admit for exactly the requests of
shop.tests.access; its Istio sidecar is a native one
(sidecar.istio.io/nativeSidecar), which Kubernetes stops when the probe
exits, so the Pod completes.
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
    sidecar.istio.io/nativeSidecar: "true"
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "shop.tests.serviceAccount" $root }}
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

{{/* shop.tests.serviceAccount is the ServiceAccount of the test pods. Takes the root context. */}}
{{- define "shop.tests.serviceAccount" -}}
{{- printf "%s-test" (include "shop.fullname" .) }}
{{- end }}

{{/*
shop.tests.orderTest tells whether the end-to-end order test is rendered:
the saga crosses services over RabbitMQ, so only when the services share a
broker and catalog and order are installed. Takes the root context.
*/}}
{{- define "shop.tests.orderTest" -}}
{{- if and (eq (include "shop.storeInUse" (dict "root" . "store" "rabbitmq")) "true") .Values.catalog.enabled .Values.order.enabled }}true{{ end }}
{{- end }}

{{/*
shop.tests.access is what the test pods request of each service, as
AuthorizationPolicy operations by service key (JSON): GET /ready of every
enabled service (test-ready), and for the order test (test-order, see
src/cmd/probe/checks.go) GET /catalog, POST /create-order and
GET /orders/<id>. The mesh admits the tests' principal for these and
nothing else. Takes the root context.
*/}}
{{- define "shop.tests.access" -}}
{{- $access := dict }}
{{- range $name := include "shop.enabledServices" . | fromYamlArray }}
{{- $_ := set $access $name (list (dict "methods" (list "GET") "paths" (list "/ready"))) }}
{{- end }}
{{- if include "shop.tests.orderTest" . }}
{{- $_ := set $access "catalog" (append $access.catalog (dict "methods" (list "GET") "paths" (list "/catalog"))) }}
{{- $_ := set $access "order" (concat $access.order (list (dict "methods" (list "POST") "paths" (list "/create-order")) (dict "methods" (list "GET") "paths" (list "/orders/*")))) }}
{{- end }}
{{- toJson $access }}
{{- end }}
