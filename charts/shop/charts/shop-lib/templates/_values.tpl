{{/*
shop-lib.values is a service's values with the shared defaults merged in, as
YAML: this library's values.yaml (which Helm gives every chart that depends
on it under .Values.shop-lib), then global.serviceDefaults of the umbrella,
then the service's own values (its chart's values.yaml and the user's), each
winning over the ones before; maps merge key by key, lists and scalars
replace. It is the OpenTelemetry demo chart's `default:` block spread over
subcharts: a service chart's values.yaml holds only what differs.
Takes a context whose .Values are the service's values: the service chart's
root context, or a dict with Values (the umbrella passes .Values.<service>).
*/}}
{{- define "shop-lib.values" -}}
{{- $shared := omit (index .Values "shop-lib" | default dict) "global" }}
{{- $global := (.Values.global | default dict).serviceDefaults | default dict }}
{{- $own := omit .Values "shop-lib" }}
{{- toYaml (mergeOverwrite (deepCopy $shared) (deepCopy $global) (deepCopy $own)) }}
{{- end }}

{{/*
shop-lib.context is the service chart's root context with the merged values
(shop-lib.values), as the other templates of this library want it. Takes a
dict: ctx (the root context) and into, a dict it fills, since a template
returns only text.
*/}}
{{- define "shop-lib.context" -}}
{{- $_ := set .into "Values" (include "shop-lib.values" .ctx | fromYaml) }}
{{- range $key := list "Chart" "Release" "Capabilities" "Template" "Files" }}
{{- $_ := set $.into $key (index $.ctx $key) }}
{{- end }}
{{- end }}

{{/*
shop-lib.serviceChart renders every object of a service chart: its
Deployment, Service, ServiceAccount, HorizontalPodAutoscaler and
PodDisruptionBudget, with the shared defaults merged into its values, and the
CA of PostgreSQL's certificate mounted when the service verifies it. A
service chart's one template is this include; what it adds is its
environment.
Takes a dict:
  ctx           the service chart's root context
  env           name of the template that renders the service's own environment variables (a YAML list)
  volumes       name of a template that renders extra volumes, optional
  volumeMounts  name of a template that renders extra volume mounts, optional
  objects       name of a template that renders more objects of the service (its Secrets), optional
Each named template is given the context with the merged values.
*/}}
{{- define "shop-lib.serviceChart" -}}
{{- $ctx := dict }}
{{- include "shop-lib.context" (dict "ctx" .ctx "into" $ctx) }}
{{- $volumes := include "shop-lib.postgresqlVolumes" $ctx }}
{{- if .volumes }}{{ $volumes = printf "%s\n%s" $volumes (include .volumes $ctx) }}{{ end }}
{{- $volumeMounts := include "shop-lib.postgresqlVolumeMounts" $ctx }}
{{- if .volumeMounts }}{{ $volumeMounts = printf "%s\n%s" $volumeMounts (include .volumeMounts $ctx) }}{{ end }}
{{- include "shop-lib.deployment" (dict "ctx" $ctx "env" (include .env $ctx) "volumes" $volumes "volumeMounts" $volumeMounts) }}
{{- $objects := list "shop-lib.service" "shop-lib.serviceAccount" "shop-lib.hpa" "shop-lib.pdb" }}
{{- with .objects }}{{ $objects = append $objects . }}{{ end }}
{{- range $kind := $objects }}
{{- with include $kind $ctx | trim }}
---
{{ . }}
{{- end }}
{{- end }}
{{- end }}
