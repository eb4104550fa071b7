{{/* The umbrella chart's names and labels, in the style of the prometheus-community charts. */}}

{{- define "shop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-shop, or just <release> when it already contains the name, or fullnameOverride. */}}
{{- define "shop.fullname" -}}
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

{{- define "shop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "shop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "shop.labels" -}}
helm.sh/chart: {{ include "shop.chart" . }}
{{ include "shop.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: shop
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
shop.serviceFullname is the full name of a service chart's objects, computed
with the service chart's own helper and values. Takes a dict: root, name.
*/}}
{{- define "shop.serviceFullname" -}}
{{- include "shop-lib.fullname" (include "shop.serviceContextYAML" . | fromYaml) }}
{{- end }}

{{/*
shop.serviceContextYAML is a service chart's context (Chart, Release, Values)
as the umbrella sees it, as YAML; the library templates accept it in place of
the service chart's own root context. Takes a dict: root, name.
*/}}
{{- define "shop.serviceContextYAML" -}}
{{- $root := .root }}
{{- toYaml (dict "Chart" (dict "Name" .name "Version" $root.Chart.Version "AppVersion" $root.Chart.AppVersion) "Release" $root.Release "Values" (index $root.Values .name)) }}
{{- end }}

{{/* The base URL of a service inside the cluster. Takes a dict: root, name. */}}
{{- define "shop.serviceURL" -}}
{{- $values := index .root.Values .name }}
{{- printf "http://%s:%d" (include "shop.serviceFullname" .) (int $values.service.port) }}
{{- end }}
