{{/*
shop-lib.deployment renders a service's Deployment.
Takes a dict:
  ctx           the service chart's root context, with the merged values (shop-lib.context)
  env           YAML list (text) of the service's own environment variables
  volumes       YAML list (text) of extra volumes, optional
  volumeMounts  YAML list (text) of extra volume mounts, optional
  args          list of the container's arguments, optional
  platformEnv   false for a workload that is no Shop service (the load
                generator): of the variables every service reads
                (platform.Base), only LOG_DIR is set; default true
Every pod gets the hardening of the design contract: non-root, read-only root
filesystem with emptyDirs for /tmp and the logs_and_metrics directory (LOG_DIR),
no privilege escalation, all capabilities dropped, seccomp RuntimeDefault,
requests and limits, liveness /health, readiness /ready, and a drain on
SIGTERM (SHUTDOWN_DELAY, then SHUTDOWN_TIMEOUT) inside the grace period.
*/}}
{{- define "shop-lib.deployment" -}}
{{- $env := .env | default "" }}
{{- $volumes := .volumes | default "" }}
{{- $volumeMounts := .volumeMounts | default "" }}
{{- $args := .args | default list }}
{{- $platformEnv := ternary true .platformEnv (not (hasKey . "platformEnv")) }}
{{- with .ctx }}
{{- $annotations := .Values.podAnnotations | default dict }}
{{- if .Values.prometheusAnnotations }}
{{- $annotations = merge (dict "prometheus.io/scrape" "true" "prometheus.io/port" (toString .Values.port) "prometheus.io/path" "/metrics") $annotations }}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shop-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-lib.labels" . | nindent 4 }}
spec:
  replicas: {{ include "shop-lib.replicas" . }}
  revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
  {{- with .Values.strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "shop-lib.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "shop-lib.podLabels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "shop-lib.serviceAccountName" . }}
      automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
      {{- with include "shop-lib.imagePullSecrets" . | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- $drain := add .Values.shutdown.delaySeconds .Values.shutdown.timeoutSeconds }}
      {{- if lt (int .Values.terminationGracePeriodSeconds) (int $drain) }}
      {{- fail (printf "%s: terminationGracePeriodSeconds (%d) must cover shutdown.delaySeconds + shutdown.timeoutSeconds (%d), or pods are killed while they drain" .Chart.Name (int .Values.terminationGracePeriodSeconds) (int $drain)) }}
      {{- end }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          image: {{ include "shop-lib.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          {{- with $args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ .Values.port }}
              protocol: TCP
          env:
            {{- include "shop-lib.env" (dict "ctx" . "env" $env "platformEnv" $platformEnv) | nindent 12 }}
          {{- with .Values.startupProbe }}
          startupProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          livenessProbe:
            {{- toYaml .Values.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml .Values.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: logs-and-metrics
              mountPath: {{ .Values.logsAndMetrics.mountPath }}
            {{- with $volumeMounts | trim }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ .Values.tmpSizeLimit }}
        - name: logs-and-metrics
          emptyDir:
            sizeLimit: {{ .Values.logsAndMetrics.sizeLimit }}
        {{- with $volumes | trim }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with include "shop-lib.topologySpreadConstraints" . | trim }}
      {{- . | nindent 6 }}
      {{- end }}
{{- end }}
{{- end }}

{{/*
Topology spread constraints from values; each one without a labelSelector
gets the service's selector labels, so operators write only the key and skew.
*/}}
{{- define "shop-lib.topologySpreadConstraints" -}}
{{- $selector := dict "matchLabels" (include "shop-lib.selectorLabels" . | fromYaml) }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range . }}
  - {{ toYaml (merge (dict) . (dict "labelSelector" $selector)) | indent 4 | trim }}
{{- end }}
{{- end }}
{{- end }}

{{/*
shop-lib.env is the container's environment: the variables the chart sets,
then extraEnv merged by name, the user's entry replacing the chart's (a
duplicate name would make server-side apply fail and client-side apply keep
the chart's value). Takes a dict: ctx, env (YAML list text), platformEnv
(bool: the variables of platform.Base, or only LOG_DIR).
*/}}
{{- define "shop-lib.env" -}}
{{- $v := .ctx.Values }}
{{- $logDir := dict "name" "LOG_DIR" "value" (toString $v.logsAndMetrics.mountPath) }}
{{- $base := list $logDir }}
{{- if .platformEnv }}
{{- $base = list (dict "name" "PORT" "value" (toString $v.port)) (dict "name" "LOG_LEVEL" "value" (toString $v.logLevel)) $logDir (dict "name" "SHUTDOWN_DELAY" "value" (printf "%ds" (int $v.shutdown.delaySeconds))) (dict "name" "SHUTDOWN_TIMEOUT" "value" (printf "%ds" (int $v.shutdown.timeoutSeconds))) }}
{{- end }}
{{- $base = concat $base (.env | default "" | trim | fromYamlArray) }}
{{- $extra := $v.extraEnv | default list }}
{{- $names := list }}
{{- range $extra }}{{ $names = append $names .name }}{{ end }}
{{- $merged := list }}
{{- range $base }}
{{- if not (has .name $names) }}{{ $merged = append $merged . }}{{ end }}
{{- end }}
{{- toYaml (concat $merged $extra) }}
{{- end }}

{{/*
shop-lib.replicas is replicaCount, or under autoscaling the live
Deployment's replicas (the HPA's last decision; minReplicas on install): an
omitted field would make an upgrade that turns autoscaling on drop the
running replicas to 1 until the HPA acts.
*/}}
{{- define "shop-lib.replicas" -}}
{{- if .Values.autoscaling.enabled }}
{{- $live := lookup "apps/v1" "Deployment" .Release.Namespace (include "shop-lib.fullname" .) }}
{{- if and $live $live.spec $live.spec.replicas }}
{{- $live.spec.replicas }}
{{- else }}
{{- .Values.autoscaling.minReplicas }}
{{- end }}
{{- else }}
{{- .Values.replicaCount }}
{{- end }}
{{- end }}
