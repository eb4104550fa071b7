{{/*
The umbrella chart's names and labels: the library chart's helpers
(shop-lib.fullname, selectorLabels, labels) on the
umbrella's own context, which has no image and no component.
*/}}
{{/* <release>-shop, or just <release> when it already contains the name, or fullnameOverride. */}}
{{- define "shop.fullname" -}}
{{- include "shop-lib.fullname" . }}
{{- end }}

{{- define "shop.selectorLabels" -}}
{{- include "shop-lib.selectorLabels" . }}
{{- end }}

{{- define "shop.labels" -}}
{{- include "shop-lib.labels" . }}
{{- end }}

{{/*
shop.serviceFullname is the full name of a service chart's objects, computed
with the service chart's own helper and values. Takes a dict: root, name.
*/}}
{{- define "shop.serviceFullname" -}}
{{- include "shop-lib.fullname" (include "shop.serviceContextYAML" . | fromYaml) }}
{{- end }}

{{/*
shop.serviceContextYAML is a service chart's context (Chart, Release, Values
with the shared defaults merged in) as the umbrella sees it, as YAML; the
library templates accept it in place of the service chart's own root
context. Takes a dict: root, name.
*/}}
{{- define "shop.serviceContextYAML" -}}
{{- $root := .root }}
{{- $values := include "shop-lib.values" (dict "Values" (index $root.Values .name)) | fromYaml }}
{{- toYaml (dict "Chart" (dict "Name" .name "Version" $root.Chart.Version "AppVersion" $root.Chart.AppVersion) "Release" $root.Release "Values" $values) }}
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

{{/*
shop.storeBundled is "true" when the chart of a data store (postgresql,
rabbitmq, elasticsearch: the dependency aliases) is installed: its condition
in Chart.yaml, <store>.enabled when a values file still sets that toggle of
earlier releases, else global.<store>.enabled. Takes a dict: root, store.
*/}}
{{- define "shop.storeBundled" -}}
{{- $legacy := index .root.Values .store | default dict }}
{{- if hasKey $legacy "enabled" }}
{{- $legacy.enabled }}
{{- else }}
{{- (index .root.Values.global .store).enabled | default false }}
{{- end }}
{{- end }}

{{/*
shop.storeInUse is "true" when the services use a data store, bundled
(global.<store>.enabled) or external (global.<store>.host, or url for
Elasticsearch); otherwise they use their embedded ones. Takes a dict: root,
store.
*/}}
{{- define "shop.storeInUse" -}}
{{- $g := index .root.Values.global .store }}
{{- if or $g.enabled $g.host $g.url }}true{{ else }}false{{ end }}
{{- end }}

{{/*
shop.identities lists, as a JSON list, the identity each enabled service has
in a data store it uses (postgresql or rabbitmq): the library's
shop-lib.<store> of its context, with its name under `service`. Takes a
dict: root, store.
*/}}
{{- define "shop.identities" -}}
{{- $out := list }}
{{- range $name := include "shop.enabledServices" .root | fromYamlArray }}
{{- $ctx := include "shop.serviceContextYAML" (dict "root" $.root "name" $name) | fromYaml }}
{{- with include (printf "shop-lib.%s" $.store) $ctx | fromYaml }}
{{- $out = append $out (set . "service" $name) }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/*
shop.storeVolume is the name of the Secret or ConfigMap behind a volume of a
bundled data store's pod (its chart's extraVolumes, which Helm does not
template: the umbrella reads the names there). Takes a dict: root, store,
volume.
*/}}
{{- define "shop.storeVolume" -}}
{{- range (index .root.Values .store).extraVolumes }}
{{- if eq .name $.volume }}
{{- with .secret }}{{ .secretName }}{{ end }}
{{- with .configMap }}{{ .name }}{{ end }}
{{- end }}
{{- end }}
{{- end }}
