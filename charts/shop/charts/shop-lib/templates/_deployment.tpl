{{/*
shop-lib.deployment renders a service's Deployment.
Takes a dict:
  ctx           the service chart's root context
  env           YAML list (text) of the service's own environment variables
  volumes       YAML list (text) of extra volumes, optional
  volumeMounts  YAML list (text) of extra volume mounts, optional
Every pod gets the hardening of the design contract: non-root, read-only root
filesystem with emptyDirs for /tmp and the logs_and_metrics directory (LOG_DIR),
no privilege escalation, all capabilities dropped, seccomp RuntimeDefault,
requests and limits, liveness /health, readiness /ready.
*/}}
{{- define "shop-lib.deployment" -}}
{{- $env := .env | default "" }}
{{- $volumes := .volumes | default "" }}
{{- $volumeMounts := .volumeMounts | default "" }}
{{- with .ctx }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shop-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "shop-lib.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
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
        {{- include "shop-lib.labels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .Values.podAnnotations }}
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
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          image: {{ include "shop-lib.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.port }}
              protocol: TCP
          env:
            - name: PORT
              value: {{ .Values.port | quote }}
            - name: LOG_LEVEL
              value: {{ .Values.logLevel | quote }}
            - name: LOG_DIR
              value: {{ .Values.logsAndMetrics.mountPath | quote }}
            {{- with regexReplaceAll "\\n\\s*\\n" ($env | trim) "\n" }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with .Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
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
