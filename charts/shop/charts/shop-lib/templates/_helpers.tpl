{{/*
Names and labels, in the style of the prometheus-community charts, for the
service charts and the umbrella chart alike. Every template takes the
chart's root context (.) unless it says otherwise.
*/}}

{{/* The chart's short name: the chart name, or nameOverride. */}}
{{- define "shop-lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the service's objects: fullnameOverride, or
<release>-<name> (just <release> when it already contains the name).
*/}}
{{- define "shop-lib.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart name and version, as the helm.sh/chart label wants them. */}}
{{- define "shop-lib.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels that select a service's pods; they never change on upgrade. */}}
{{- define "shop-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shop-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The recommended app.kubernetes.io labels of every object. */}}
{{- define "shop-lib.labels" -}}
helm.sh/chart: {{ include "shop-lib.chart" . }}
{{ include "shop-lib.podLabels" . }}
{{- end }}

{{/*
The labels of the pod template: those of every object but helm.sh/chart,
which changes with every chart version and would restart every pod on a
chart upgrade that changes nothing in them.
*/}}
{{- define "shop-lib.podLabels" -}}
{{ include "shop-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ include "shop-lib.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
{{- with .Values.component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/part-of: {{ .Values.partOf | default "shop" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "shop-lib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "shop-lib.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image tag: image.tag, or the chart's appVersion (the umbrella's own objects have no image). */}}
{{- define "shop-lib.imageTag" -}}
{{- (.Values.image | default dict).tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The image reference: registry (global.imageRegistry wins), repository, and a
digest when one is pinned, else the tag.
*/}}
{{- define "shop-lib.image" -}}
{{- $registry := .Values.image.registry }}
{{- with .Values.global }}{{- with .imageRegistry }}{{- $registry = . }}{{- end }}{{- end }}
{{- $repo := required (printf "%s: image.repository is not set" .Chart.Name) .Values.image.repository }}
{{- if $registry }}{{- $repo = printf "%s/%s" $registry $repo }}{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (include "shop-lib.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Pull secrets: the global ones, then the service's own. */}}
{{- define "shop-lib.imagePullSecrets" -}}
{{- $secrets := list }}
{{- with .Values.global }}{{- range .imagePullSecrets }}{{- $secrets = append $secrets . }}{{- end }}{{- end }}
{{- range .Values.imagePullSecrets }}{{- $secrets = append $secrets . }}{{- end }}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets | uniq }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end }}
