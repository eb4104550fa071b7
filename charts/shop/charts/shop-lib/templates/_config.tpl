{{/*
Configuration helpers: how a service reaches the others and the backends.
The backends are described once, under global in the umbrella chart's values
(global.postgresql, global.rabbitmq, global.elasticsearch, global.adminToken);
a service chart installed on its own, without them, uses the embedded backends.
Hosts default to the objects of the bundled dependency charts of the same
release; credentials always come from Secrets, through secretKeyRef.
*/}}

{{/* The global values, or an empty dict. Takes the root context. */}}
{{- define "shop-lib.globals" -}}
{{- toYaml (.Values.global | default dict) }}
{{- end }}

{{/*
shop-lib.peerFullname is the name another chart of the release gives its
objects when it keeps its default names: the fullname rule every chart here
and every dependency chart follows (<release>-<name>, or just <release> when
the release name contains the chart's). The umbrella's validate.yaml checks it
against the real name, which overrides in that chart's values can change.
Takes a dict: ctx, name (the chart's name in the umbrella, its alias if any).
*/}}
{{- define "shop-lib.peerFullname" -}}
{{- include "shop-lib.fullname" (dict "Chart" (dict "Name" .name) "Release" .ctx.Release "Values" dict) }}
{{- end }}

{{/*
shop-lib.serviceURL is the base URL of another service of the release: the
override when set, else its Service's default name and port.
Takes a dict: ctx, name (the service chart's name), port, override.
*/}}
{{- define "shop-lib.serviceURL" -}}
{{- if .override }}
{{- .override }}
{{- else }}
{{- printf "http://%s:%d" (include "shop-lib.peerFullname" .) (int .port) }}
{{- end }}
{{- end }}

{{/*
The Secret with the PostgreSQL password: global.postgresql.existingSecret, or
the one the umbrella generates. Its name does not depend on the release, so
the bundled PostgreSQL chart (whose values Helm does not template) can name it
too. Takes the root context.
*/}}
{{- define "shop-lib.postgresqlSecretName" -}}
{{- $pg := (include "shop-lib.globals" . | fromYaml).postgresql | default dict }}
{{- $pg.existingSecret | default "shop-postgresql-auth" }}
{{- end }}

{{/* The Secret with the RabbitMQ password, named like the PostgreSQL one. Takes the root context. */}}
{{- define "shop-lib.rabbitmqSecretName" -}}
{{- $mq := (include "shop-lib.globals" . | fromYaml).rabbitmq | default dict }}
{{- $mq.existingSecret | default "shop-rabbitmq-auth" }}
{{- end }}

{{/* The Secret with the admin bearer token of catalog and search. Takes the root context. */}}
{{- define "shop-lib.adminTokenSecretName" -}}
{{- $t := (include "shop-lib.globals" . | fromYaml).adminToken | default dict }}
{{- $t.existingSecret | default (printf "%s-admin-token" .Release.Name) }}
{{- end }}

{{/*
shop-lib.postgresqlEnv sets DATABASE_URL (no password in it), DATABASE_PASSWORD
from the Secret and DATABASE_MAX_CONNS when global.postgresql.enabled; nothing
otherwise, which selects the embedded store.
Takes a dict: ctx, database, maxConns.
*/}}
{{- define "shop-lib.postgresqlEnv" -}}
{{- $pg := (include "shop-lib.globals" .ctx | fromYaml).postgresql | default dict }}
{{- if $pg.enabled }}
{{- $host := $pg.host | default (include "shop-lib.peerFullname" (dict "ctx" .ctx "name" "postgresql")) }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s:%d/%s?sslmode=%s" ($pg.username | urlquery) $host (int ($pg.port | default 5432)) .database ($pg.sslMode | default "disable") | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "DATABASE_PASSWORD" "secret" (include "shop-lib.postgresqlSecretName" .ctx) "key" ($pg.passwordKey | default "password")) }}
- name: DATABASE_MAX_CONNS
  value: {{ .maxConns | quote }}
{{- end }}
{{- end }}

{{/*
shop-lib.rabbitmqEnv sets AMQP_URL (no password in it) and AMQP_PASSWORD from
the Secret when global.rabbitmq.enabled; nothing otherwise, which selects the
in-process event bus. Takes the root context.
*/}}
{{- define "shop-lib.rabbitmqEnv" -}}
{{- $mq := (include "shop-lib.globals" . | fromYaml).rabbitmq | default dict }}
{{- if $mq.enabled }}
{{- $host := $mq.host | default (include "shop-lib.peerFullname" (dict "ctx" . "name" "rabbitmq")) }}
{{- $scheme := ternary "amqps" "amqp" ($mq.tls | default false) }}
- name: AMQP_URL
  value: {{ printf "%s://%s@%s:%d/%s" $scheme ($mq.username | urlquery) $host (int ($mq.port | default 5672)) (($mq.vhost | default "/") | urlquery) | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "AMQP_PASSWORD" "secret" (include "shop-lib.rabbitmqSecretName" .) "key" ($mq.passwordKey | default "password")) }}
{{- end }}
{{- end }}

{{/* shop-lib.adminTokenEnv sets ADMIN_TOKEN from its Secret. Takes the root context. */}}
{{- define "shop-lib.adminTokenEnv" -}}
{{- $t := (include "shop-lib.globals" . | fromYaml).adminToken | default dict }}
{{- include "shop-lib.secretEnv" (dict "name" "ADMIN_TOKEN" "secret" (include "shop-lib.adminTokenSecretName" .) "key" ($t.key | default "token")) }}
{{- end }}

{{/*
shop-lib.tracingEnv sets the OpenTelemetry variables from global.tracing
when an OTLP endpoint is given (none: tracing off, nothing set). Each
service names itself (service.name); the pod's namespace and the chart's
app version are added to the resource attributes. Takes the root context.
*/}}
{{- define "shop-lib.tracingEnv" -}}
{{- $tr := (include "shop-lib.globals" . | fromYaml).tracing | default dict }}
{{- if $tr.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $tr.endpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $tr.sampler | default "parentbased_traceidratio" | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $tr.samplerArg | default "1" | toString | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," (compact (list (printf "k8s.namespace.name=%s" .Release.Namespace) (printf "service.version=%s" .Chart.AppVersion) ($tr.resourceAttributes | default ""))) | quote }}
{{- end }}
{{- end }}
