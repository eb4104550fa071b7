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
{{ include "shop.podLabels" . }}
{{- end }}

{{/*
shop.podLabels are the labels of pod templates: shop.labels without
helm.sh/chart, which would restart every pod on each chart version bump.
*/}}
{{- define "shop.podLabels" -}}
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

{{/*
shop.services lists the Shop's service charts as a YAML list: the
dependencies of Chart.yaml nested here (no repository) that can be turned off
(a condition), which leaves out the library chart. A fifth service is one
directory under charts/ and one entry in Chart.yaml. Takes the root context.
*/}}
{{- define "shop.services" -}}
{{- $names := list }}
{{- range .Chart.Dependencies }}
{{- if and (not .Repository) .Condition }}
{{- $names = append $names (.Alias | default .Name) }}
{{- end }}
{{- end }}
{{- toYaml $names }}
{{- end }}

{{/* shop.enabledServices lists the services turned on, as a YAML list. Takes the root context. */}}
{{- define "shop.enabledServices" -}}
{{- $names := list }}
{{- range include "shop.services" . | fromYamlArray }}
{{- if (index $.Values .).enabled }}
{{- $names = append $names . }}
{{- end }}
{{- end }}
{{- toYaml $names }}
{{- end }}

{{/*
shop.dependencyFullname is the name a dependency chart gives its objects,
computed with the same fullname rule those charts use, from their values as
the umbrella passes them. Takes a dict: root, name (the alias).
*/}}
{{- define "shop.dependencyFullname" -}}
{{- include "shop-lib.fullname" (dict "Chart" (dict "Name" .name) "Release" .root.Release "Values" (index .root.Values .name)) }}
{{- end }}

{{/*
shop.monitorLabels are the labels of every ServiceMonitor and PrometheusRule
of the release: `release: <release>` when the bundled kube-prometheus-stack is
on (its Prometheus selects monitors and rules by it), and
monitoring.selectorLabels, the labels an existing Prometheus selects by.
Takes the root context.
*/}}
{{- define "shop.monitorLabels" -}}
{{- $labels := dict }}
{{- if (index .Values "kube-prometheus-stack").enabled }}
{{- $_ := set $labels "release" .Release.Name }}
{{- end }}
{{- $labels = merge $labels (.Values.monitoring.selectorLabels | default dict) }}
{{- with $labels }}
{{- toYaml . }}
{{- end }}
{{- end }}
