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
The Secret with the PostgreSQL passwords: global.postgresql.existingSecret,
or the one the umbrella generates. Its name does not depend on the release,
so the bundled PostgreSQL chart's volumes (which Helm does not template) can
name it too. Takes the root context.
*/}}
{{- define "shop-lib.postgresqlSecretName" -}}
{{- $pg := (include "shop-lib.globals" . | fromYaml).postgresql | default dict }}
{{- $pg.existingSecret | default "shop-postgresql-auth" }}
{{- end }}

{{/* The Secret with the RabbitMQ passwords, named like the PostgreSQL one. Takes the root context. */}}
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
shop-lib.postgresql is how a service reaches PostgreSQL, as YAML, or nothing
when it keeps its data in its embedded store (its values have no database,
or neither global.postgresql.enabled nor global.postgresql.host is set).
Keys: host, port, database, username, secret and key (of its password),
sslMode, caSecret, caKey, bundled.
Each service has its own identity: with the bundled server, a role named
after its database (database.username overrides it) whose password is in
global.postgresql.existingSecret under the role's name, which the server's
shop-roles sidecar creates; with an external server, global.postgresql.username
unless database.username, existingSecret and passwordKey name its own role
(README, "External backends"). Takes the service's context.
*/}}
{{- define "shop-lib.postgresql" -}}
{{- $pg := (include "shop-lib.globals" . | fromYaml).postgresql | default dict }}
{{- $db := .Values.database | default dict }}
{{- if and $db.name (or $pg.enabled $pg.host) }}
{{- $bundled := not $pg.host }}
{{- $secret := include "shop-lib.postgresqlSecretName" . }}
{{- $user := $db.username | default (ternary $db.name $pg.username $bundled) }}
{{- $shared := and (not $bundled) (eq $user $pg.username) }}
{{- $key := $db.passwordKey | default (ternary ($pg.passwordKey | default "password") $user $shared) }}
{{- $host := $pg.host | default (include "shop-lib.peerFullname" (dict "ctx" . "name" "postgresql")) }}
{{- toYaml (dict "host" $host "port" (int ($pg.port | default 5432)) "database" $db.name "username" $user "secret" ($db.existingSecret | default $secret) "key" $key "sslMode" ($pg.sslMode | default "disable") "caSecret" ($pg.caSecret | default (ternary $secret "" $bundled)) "caKey" ($pg.caKey | default "ca.crt") "bundled" $bundled) }}
{{- end }}
{{- end }}

{{/* Where a service's pods find the CA of PostgreSQL's certificate (sslrootcert). */}}
{{- define "shop-lib.postgresqlCADir" -}}
/etc/shop/postgresql-ca
{{- end }}

{{/*
shop-lib.postgresqlVerifies tells ("true") whether a service checks the
server's certificate against the CA of caSecret, mounted (sslMode verify-ca or
verify-full with a caSecret; without one, against the system's trust store).
Takes the shop-lib.postgresql dict.
*/}}
{{- define "shop-lib.postgresqlVerifies" -}}
{{- if and (has .sslMode (list "verify-ca" "verify-full")) .caSecret }}true{{ else }}false{{ end }}
{{- end }}

{{/*
shop-lib.postgresqlEnv sets DATABASE_URL (no password in it: the service's
own role, its database, sslmode and, when the certificate is verified, the
mounted CA as sslrootcert), DATABASE_PASSWORD from the Secret and
DATABASE_MAX_CONNS; nothing when the service uses its embedded store.
Takes the service's context.
*/}}
{{- define "shop-lib.postgresqlEnv" -}}
{{- with include "shop-lib.postgresql" . | fromYaml }}
{{- $query := printf "sslmode=%s" .sslMode }}
{{- if eq (include "shop-lib.postgresqlVerifies" .) "true" }}
{{- $query = printf "%s&sslrootcert=%s/%s" $query (include "shop-lib.postgresqlCADir" $) (.caKey | urlquery) }}
{{- end }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s:%d/%s?%s" (.username | urlquery) .host (int .port) (.database | urlquery) $query | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "DATABASE_PASSWORD" "secret" .secret "key" .key) }}
- name: DATABASE_MAX_CONNS
  value: {{ $.Values.database.maxConns | quote }}
{{- end }}
{{- end }}

{{/* shop-lib.postgresqlVolumes is the volume of the PostgreSQL CA when the service verifies the server's certificate. Takes the service's context. */}}
{{- define "shop-lib.postgresqlVolumes" -}}
{{- with include "shop-lib.postgresql" . | fromYaml }}
{{- if eq (include "shop-lib.postgresqlVerifies" .) "true" }}
- name: postgresql-ca
  secret:
    secretName: {{ .caSecret }}
    items:
      - key: {{ .caKey }}
        path: {{ .caKey }}
{{- end }}
{{- end }}
{{- end }}

{{/* shop-lib.postgresqlVolumeMounts mounts that volume read-only. Takes the service's context. */}}
{{- define "shop-lib.postgresqlVolumeMounts" -}}
{{- with include "shop-lib.postgresql" . | fromYaml }}
{{- if eq (include "shop-lib.postgresqlVerifies" .) "true" }}
- name: postgresql-ca
  mountPath: {{ include "shop-lib.postgresqlCADir" $ }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/*
shop-lib.rabbitmq is how a service reaches RabbitMQ, as YAML, or nothing when
it uses its in-process bus (its values have no rabbitmq, or neither
global.rabbitmq.enabled nor global.rabbitmq.host is set). Keys: url (no
password), username, secret, key, bundled, and the permissions of its own
user: configure, write and read (regular expressions over the names of the
exchange, its dead-letter exchange and the queues of rabbitmq.queuePrefix:
write on the dead-letter exchange, which declaring a queue that dead-letters
to it needs, and on the exchange only when the service publishes).
Each service has its own user: with the bundled broker, named after the
service (rabbitmq.username overrides it), its password in
global.rabbitmq.existingSecret under the user's name, created by the
broker's shop-users sidecar; with an external broker, global.rabbitmq.username
unless rabbitmq.username, existingSecret and passwordKey name its own.
Takes the service's context.
*/}}
{{- define "shop-lib.rabbitmq" -}}
{{- $mq := (include "shop-lib.globals" . | fromYaml).rabbitmq | default dict }}
{{- $own := .Values.rabbitmq | default dict }}
{{- if and $own.queuePrefix (or $mq.enabled $mq.host) }}
{{- $bundled := not $mq.host }}
{{- $secret := include "shop-lib.rabbitmqSecretName" . }}
{{- $user := $own.username | default (ternary .Chart.Name $mq.username $bundled) }}
{{- $shared := and (not $bundled) (eq $user $mq.username) }}
{{- $key := $own.passwordKey | default (ternary ($mq.passwordKey | default "password") $user $shared) }}
{{- $host := $mq.host | default (include "shop-lib.peerFullname" (dict "ctx" . "name" "rabbitmq")) }}
{{- $scheme := ternary "amqps" "amqp" ($mq.tls | default false) }}
{{- $url := printf "%s://%s@%s:%d/%s" $scheme ($user | urlquery) $host (int ($mq.port | default 5672)) (($mq.vhost | default "/") | urlquery) }}
{{- $exchange := "shop\\.events" }}
{{- $queues := printf "%s.*" (regexQuoteMeta $own.queuePrefix) }}
{{- $exchanges := printf "%s|%s\\.dlx" $exchange $exchange }}
{{- /* A queue declared with a dead-letter exchange needs write on it. */ -}}
{{- $write := ternary (printf "^(%s|%s)$" $exchanges $queues) (printf "^(%s\\.dlx|%s)$" $exchange $queues) ($own.publishes | default false) }}
{{- toYaml (dict "url" $url "username" $user "secret" ($own.existingSecret | default $secret) "key" $key "bundled" $bundled "vhost" ($mq.vhost | default "/") "configure" (printf "^(%s|%s)$" $exchanges $queues) "write" $write "read" (printf "^(%s|%s)$" $exchanges $queues)) }}
{{- end }}
{{- end }}

{{/*
shop-lib.rabbitmqEnv sets AMQP_URL (no password in it: the service's own
user) and AMQP_PASSWORD from the Secret; nothing when the service uses its
in-process bus. Takes the service's context.
*/}}
{{- define "shop-lib.rabbitmqEnv" -}}
{{- with include "shop-lib.rabbitmq" . | fromYaml }}
- name: AMQP_URL
  value: {{ .url | quote }}
{{ include "shop-lib.secretEnv" (dict "name" "AMQP_PASSWORD" "secret" .secret "key" .key) }}
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
