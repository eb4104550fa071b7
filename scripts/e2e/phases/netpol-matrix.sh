#!/usr/bin/env bash
# The access matrix at L4 with real traffic: in a cluster that enforces
# NetworkPolicies, probe pods carrying each caller's labels (and one with
# none) open TCP connections to every service of the release; every pair the
# l4 column of istio/access-matrix.txt allows must connect and every other
# must be refused (the caller `none` twice: with its own egress denied by
# default, and with it open, so the target's ingress refuses it too). Then the shop must still work with the policies on: the
# storefront's home and search pages through a pod labelled as the ingress
# gateway, and an order placed and confirmed over RabbitMQ.
#
# As a phase of make e2e: NAMESPACE and RELEASE name a release installed with
# networkPolicy.enabled. On its own (the release is not there), it builds the
# images, creates a PostgreSQL database per service and a RabbitMQ vhost on
# this machine, installs the chart with NetworkPolicies on (external data
# stores at host.minicluster.internal), runs, and removes everything it made.
#   NAMESPACE=shop-netpol RELEASE=shop-netpol scripts/e2e/phases/netpol-matrix.sh
# Needs kubectl (source /var/lib/minicluster/env), helm, go, jq; standalone
# also psql, rabbitmqctl, ../shared/minicluster/up.sh (or MINICLUSTER_UP) and
# the dependency charts' archives in CHART_DEPS (default /work/shared/chart-deps).
set -euo pipefail

NAMESPACE=${NAMESPACE:-shop-netpol}
RELEASE=${RELEASE:-shop-netpol}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
matrix=$root/istio/access-matrix.txt
HELM=${HELM:-$(command -v helm || echo "$HOME/.cache/shop/tools/helm-v3.22.0/helm")}
UP=${MINICLUSTER_UP:-$root/../../shared/minicluster/up.sh}
[[ -x $UP ]] || UP=/work/shared/minicluster/up.sh
TAG=${IMAGE_TAG:-netpol}
probe_image=localhost/shop-netprobe:$TAG
work=$(mktemp -d)
standalone=0
db_prefix=$(echo "${RELEASE}" | tr -c 'a-z0-9\n' '_')
vhost=$RELEASE

log() { printf '[netpol-matrix %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# shellcheck disable=SC2317 # cleanup runs from the EXIT trap.
cleanup() {
	local rc=$?
	kubectl -n "$NAMESPACE" delete pod,networkpolicy -l netpol-matrix/probe --ignore-not-found --wait=false >/dev/null 2>&1 || true
	if [[ $standalone == 1 && -z ${KEEP:-} ]]; then
		log "removing the release, namespace $NAMESPACE, databases and vhost"
		"$HELM" uninstall "$RELEASE" -n "$NAMESPACE" >/dev/null 2>&1 || true
		kubectl delete namespace "$NAMESPACE" --wait=false >/dev/null 2>&1 || true
		for db in catalog orders; do psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${db_prefix}_$db WITH (FORCE)" >/dev/null 2>&1 || true; done
		rabbitmqctl delete_vhost "$vhost" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT

# image NAME DIR builds a static binary and imports it into the node.
image() {
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$work/$1" "$2")
	"$UP" image "localhost/shop-$1:$TAG" "$work/$1" >/dev/null
}

install_release() {
	standalone=1
	log "standalone: installing $RELEASE in $NAMESPACE"
	for svc in catalog search order frontend; do image "$svc" "./src/cmd/$svc"; done
	node=$(kubectl get node -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
	for db in catalog orders; do
		psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${db_prefix}_$db WITH (FORCE)" -c "CREATE DATABASE ${db_prefix}_$db" >/dev/null
	done
	rabbitmqctl delete_vhost "$vhost" >/dev/null 2>&1 || true
	rabbitmqctl add_vhost "$vhost" >/dev/null
	rabbitmqctl set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
	kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
	kubectl -n "$NAMESPACE" create secret generic netpol-rabbitmq --from-literal=password=guest --dry-run=client -o yaml | kubectl apply -f - >/dev/null
	kubectl -n "$NAMESPACE" create secret generic netpol-postgresql --from-literal=password=unused-trust-auth --dry-run=client -o yaml | kubectl apply -f - >/dev/null
	# Helm needs the dependency charts Chart.yaml declares, even disabled:
	# the archives of CHART_DEPS where helm dependency build cannot run.
	cp -a "$root/charts/shop" "$work/chart"
	if ! ls "$work/chart/charts/"*.tgz >/dev/null 2>&1; then
		cp "${CHART_DEPS:-/work/shared/chart-deps}"/*.tgz "$work/chart/charts/"
	fi
	cat >"$work/values.yaml" <<VALUES
global:
  postgresql: {host: host.minicluster.internal, username: postgres, existingSecret: netpol-postgresql}
  rabbitmq: {host: host.minicluster.internal, username: guest, vhost: "$vhost", existingSecret: netpol-rabbitmq}
postgresql: {enabled: false}
rabbitmq: {enabled: false}
networkPolicy:
  enabled: true
  external:
    postgresqlCIDRs: ["$node/32"]
    rabbitmqCIDRs: ["$node/32"]
VALUES
	for svc in catalog search order frontend; do
		printf '%s:\n  image: {registry: localhost, repository: shop-%s, tag: %s, pullPolicy: Never}\n' "$svc" "$svc" "$TAG" >>"$work/values.yaml"
	done
	printf 'catalog:\n  database: {name: %s_catalog}\norder:\n  database: {name: %s_orders}\n' "$db_prefix" "$db_prefix" >"$work/databases.yaml"
	"$HELM" upgrade --install "$RELEASE" "$work/chart" -n "$NAMESPACE" -f "$work/values.yaml" -f "$work/databases.yaml" --wait --timeout 5m >/dev/null
}

# Command substitutions, not `| grep -q`: under pipefail, grep leaving
# early makes kubectl die of SIGPIPE, and the check fail at random.
if [[ -z $(kubectl -n "$NAMESPACE" get deploy -l "app.kubernetes.io/instance=$RELEASE" -o name 2>/dev/null) ]]; then
	install_release
fi
if [[ -z $(kubectl -n "$NAMESPACE" get networkpolicy -o name) ]]; then
	echo "release $RELEASE in $NAMESPACE has no NetworkPolicies: install it with networkPolicy.enabled=true" >&2
	exit 1
fi
kubectl -n "$NAMESPACE" wait --for=condition=Available deploy -l "app.kubernetes.io/instance=$RELEASE" --timeout=3m >/dev/null
image netprobe ./scripts/e2e/phases/netprobe

# Each caller's pod labels: a service's are its Deployment's selector labels;
# gateway and prometheus carry the labels the policies admit them by, and
# stand for pods of other namespaces (a fixture policy opens their egress,
# which their own namespaces' policies would govern); none has no labels.
declare -A labels addr
for svc in catalog search order frontend; do
	labels[$svc]=$(kubectl -n "$NAMESPACE" get deploy -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/name=$svc" -o json |
		jq -c '.items[0].spec.selector.matchLabels')
	ip=$(kubectl -n "$NAMESPACE" get svc -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/name=$svc" -o jsonpath='{.items[0].spec.clusterIP}')
	port=$(kubectl -n "$NAMESPACE" get deploy -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/name=$svc" -o json |
		jq -r '.items[0].spec.template.spec.containers[0].ports[0].containerPort')
	sport=$(kubectl -n "$NAMESPACE" get svc -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/name=$svc" -o jsonpath='{.items[0].spec.ports[0].port}')
	addr[$svc]=$ip:$sport
	[[ -n $port ]]
done
labels[gateway]='{"istio":"ingressgateway","netpol-matrix/outside":"true"}'
labels[prometheus]='{"app.kubernetes.io/name":"prometheus","netpol-matrix/outside":"true"}'
labels[none]='{}'
# none-open is a pod without identity whose own egress is open (like a pod
# of another namespace): what refuses it is the target's ingress policy.
labels[none-open]='{"netpol-matrix/outside":"true"}'

kubectl apply -f - >/dev/null <<POLICY
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: netpol-matrix-outside, namespace: $NAMESPACE, labels: {netpol-matrix/probe: "true"}}
spec:
  podSelector: {matchLabels: {netpol-matrix/outside: "true"}}
  policyTypes: [Egress]
  egress: [{}]
POLICY

callers="$(awk '!/^#/ && NF == 6 { print $1 }' "$matrix" | sort -u) none-open"
for caller in $callers; do
	[[ -n ${labels[$caller]:-} ]] || continue
	jq -n --arg name "netpol-matrix-$caller" --arg ns "$NAMESPACE" --arg image "$probe_image" --argjson labels "${labels[$caller]}" '{
	  apiVersion: "v1", kind: "Pod",
	  metadata: {name: $name, namespace: $ns, labels: ($labels + {"netpol-matrix/probe": "true"})},
	  spec: {
	    automountServiceAccountToken: false, terminationGracePeriodSeconds: 1,
	    securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: "RuntimeDefault"}},
	    containers: [{name: "probe", image: $image, imagePullPolicy: "Never", command: ["/netprobe", "wait"],
	      resources: {requests: {cpu: "5m", memory: "8Mi"}, limits: {cpu: "100m", memory: "32Mi"}},
	      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ["ALL"]}}}]}}' |
		kubectl apply -f - >/dev/null
done
kubectl -n "$NAMESPACE" wait --for=condition=Ready pod -l netpol-matrix/probe --timeout=2m >/dev/null

probe() { kubectl -n "$NAMESPACE" exec "netpol-matrix-$1" -- /netprobe "${@:2}"; }

fail=0 checked=0
while read -r caller service want; do
	if [[ -z ${labels[$caller]:-} ]]; then
		log "SKIPPED $caller -> $service: the caller lives in another namespace this check does not create"
		continue
	fi
	if probe "$caller" dial "${addr[$service]}" >/dev/null 2>&1; then got=allow; else got=deny; fi
	checked=$((checked + 1))
	if [[ $got == "$want" ]]; then
		log "ok   $caller -> $service (${addr[$service]}): $got"
	else
		log "FAIL $caller -> $service (${addr[$service]}): $got, want $want"
		fail=1
	fi
done < <(awk '!/^#/ && NF == 6 { print $1, $2, $6; if ($1 == "none") print "none-open", $2, $6 }' "$matrix" | sort -u)

log "the shop with the policies on"
home=$(probe gateway http GET "http://${addr[frontend]}/") || { log "FAIL storefront home: $home"; fail=1; }
if grep -q 'href="/product/' <<<"$home"; then
	log "ok   storefront home lists products (frontend -> catalog)"
else
	log "FAIL storefront home lists no product"; fail=1
fi
if probe gateway http GET "http://${addr[frontend]}/search?q=mug" >/dev/null; then
	log "ok   storefront search (frontend -> search)"
else
	log "FAIL storefront search"; fail=1
fi
# A product in stock: the load phases of make e2e sell some out.
product=$(probe frontend http GET "http://${addr[catalog]}/catalog?page_size=1&in_stock=true" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)
body='{"customer":{"email":"netpol@example.com","name":"Netpol Matrix","address":{"line1":"1 Test Street","city":"London","postal_code":"EC1A 1BB","country":"GB"}},"items":[{"product_id":"'"$product"'","quantity":1}]}'
created=$(probe frontend http POST "http://${addr[order]}/create-order" "$body" "Idempotency-Key:netpol-$RANDOM$RANDOM") || { log "FAIL create-order: $created"; fail=1; }
id=$(sed -n 's/.*"order_id":"\([^"]*\)".*/\1/p' <<<"$created")
status=unknown
for _ in $(seq 60); do
	status=$(probe frontend http GET "http://${addr[order]}/orders/$id" 2>/dev/null | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' | head -n 1)
	[[ $status == confirmed || $status == rejected ]] && break
	sleep 2
done
if [[ $status == confirmed ]]; then log "ok   order $id confirmed (order -> catalog prices, saga over RabbitMQ)"; else log "FAIL order ${id:-none}: ${status:-unknown}"; fail=1; fi

if ((checked == 0)); then log "FAIL no pair checked"; fail=1; fi
if ((fail == 0)); then
	log "PASS: $checked caller/service pairs as the matrix says, and the shop works"
else
	log "FAILED"
fi
exit $fail
