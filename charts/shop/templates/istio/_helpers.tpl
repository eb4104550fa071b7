{{/*
Helpers of the Istio and NetworkPolicy templates. Each takes a dict with the
umbrella's root context (root) and a service key (name) unless it says
otherwise; the services are the keys of .Values.access.
*/}}

{{/* shop.mesh.services: the enabled services of the access matrix, as a JSON list. Takes the root context. */}}
{{- define "shop.mesh.services" -}}
{{- $names := list }}
{{- range $name, $_ := .Values.access }}
{{- if (index $.Values $name).enabled }}{{ $names = append $names $name }}{{ end }}
{{- end }}
{{- toJson $names }}
{{- end }}

{{/* shop.mesh.selector: the labels that select a service's pods, as YAML. */}}
{{- define "shop.mesh.selector" -}}
{{- include "shop-lib.selectorLabels" (include "shop.serviceContextYAML" . | fromYaml) }}
{{- end }}

{{/* shop.mesh.serviceAccount: the ServiceAccount a service's pods run as. */}}
{{- define "shop.mesh.serviceAccount" -}}
{{- include "shop-lib.serviceAccountName" (include "shop.serviceContextYAML" . | fromYaml) }}
{{- end }}

{{/* shop.mesh.principal: the SPIFFE principal of a service's pods in Istio's authorization policies. */}}
{{- define "shop.mesh.principal" -}}
{{- printf "%s/ns/%s/sa/%s" .root.Values.istio.trustDomain .root.Release.Namespace (include "shop.mesh.serviceAccount" .) }}
{{- end }}

{{/* shop.mesh.host: the fully qualified host name of a service's Service. */}}
{{- define "shop.mesh.host" -}}
{{- printf "%s.%s.svc.%s" (include "shop.serviceFullname" .) .root.Release.Namespace .root.Values.istio.clusterDomain }}
{{- end }}

{{/*
shop.mesh.callees: the services a service calls, by the access matrix (the
services whose callers name it), as a JSON list.
*/}}
{{- define "shop.mesh.callees" -}}
{{- $callees := list }}
{{- range $callee := include "shop.mesh.services" .root | fromJsonArray }}
{{- range (index $.root.Values.access $callee).callers }}
{{- if eq .from $.name }}{{ $callees = append $callees $callee }}{{ end }}
{{- end }}
{{- end }}
{{- toJson ($callees | uniq) }}
{{- end }}

{{/* shop.mesh.labels: the labels of the umbrella's mesh objects. Takes the root context. */}}
{{- define "shop.mesh.labels" -}}
{{- include "shop.labels" . }}
app.kubernetes.io/component: mesh
{{- end }}

{{/* shop.mesh.waypointPrincipal: the principal of the ambient waypoint's pods (Istio names its ServiceAccount after the waypoint). Takes the root context. */}}
{{- define "shop.mesh.waypointPrincipal" -}}
{{- printf "%s/ns/%s/sa/%s" .Values.istio.trustDomain .Release.Namespace .Values.istio.waypoint.name }}
{{- end }}

{{/*
shop.mesh.storeFullname: the full name of a bundled data store's objects
(postgresql, rabbitmq, elasticsearch: the dependency aliases), computed as
their charts' fullname helpers do. Takes a dict: root, store.
*/}}
{{- define "shop.mesh.storeFullname" -}}
{{- $values := index .root.Values .store }}
{{- if $values.fullnameOverride }}
{{- $values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .store $values.nameOverride }}
{{- if contains $name .root.Release.Name }}
{{- .root.Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .root.Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
shop.mesh.storeSelector: the labels its chart puts on a bundled data store's
pods, as YAML: CloudPirates' postgres and rabbitmq charts label them with
their name and the release; ECK labels Elasticsearch pods with the cluster's
name. Takes a dict: root, store.
*/}}
{{- define "shop.mesh.storeSelector" -}}
{{- if eq .store "elasticsearch" }}
elasticsearch.k8s.elastic.co/cluster-name: {{ include "shop.mesh.storeFullname" . }}
{{- else }}
app.kubernetes.io/name: {{ (index .root.Values .store).nameOverride | default .store }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}
{{- end }}

{{/* shop.mesh.storeService: the Service in front of a bundled data store's pods. Takes a dict: root, store. */}}
{{- define "shop.mesh.storeService" -}}
{{- include "shop.mesh.storeFullname" . }}{{ if eq .store "elasticsearch" }}-es-http{{ end }}
{{- end }}

{{/* shop.mesh.storeUsers: the enabled services that use a data store (networkPolicy.uses), as a JSON list. Takes a dict: root, store. */}}
{{- define "shop.mesh.storeUsers" -}}
{{- $users := list }}
{{- range $name := include "shop.mesh.services" .root | fromJsonArray }}
{{- if has $.store (index $.root.Values.access $name).uses }}{{ $users = append $users $name }}{{ end }}
{{- end }}
{{- toJson $users }}
{{- end }}
