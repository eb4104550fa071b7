#!/usr/bin/env bash
# End-to-end test of the shop in a real Kubernetes cluster (make e2e; docs/e2e.md).
#
# Against whatever cluster KUBECONFIG points at: builds the four images from
# this checkout (make images), loads them into the node (containerd's ctr on
# the local minicluster, kind load image-archive in Kind), installs the chart
# with charts/shop/ci/e2e-values.yaml into its own namespace, with its own
# PostgreSQL databases and RabbitMQ vhost on the backends' host, then:
# helm test; a shopper's journey through the storefront Service; live-pod
# checks; helm upgrade (replicas 1 -> 2, then a config change restarting every
# pod) and helm rollback under a request loop; the PDB against the Eviction
# API; kubectl delete pod of each service under orders; every accepted order
# counted in PostgreSQL and the stock checked; any extra phase in
# scripts/e2e/phases/; helm uninstall with nothing left behind.
#
# Without a reachable cluster or backends it says so and skips (exit 0);
# with SHOP_REQUIRE_INTEGRATION=1 it fails instead. On a failure it prints
# the namespace's events, and describe and the last logs of unready pods.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Order ids are compared as sorted text, byte by byte.
export LC_ALL=C

: "${HELM:=helm}"
: "${MAKE:=make}"
: "${KUBECTL:=kubectl}"
: "${IMAGE_REPO:=ghcr.io/shop-platform}"
: "${IMAGE_TAG:=e2e-$(git rev-parse --short=12 HEAD 2>/dev/null || echo local)-$(date +%s)}"
: "${IMAGES_DIR:=bin/images}"
# Where the images go: auto (kind if E2E_KIND_CLUSTER is set, else containerd
# through ctr), kind, ctr, or none (already in the cluster).
: "${E2E_LOAD:=auto}"
: "${E2E_KIND_CLUSTER:=}"
: "${E2E_NAMESPACE:=shop-e2e}"
: "${E2E_RELEASE:=e2e}"
# The backends as the pods reach them, and as this script administers them.
: "${E2E_BACKEND_HOST:=host.minicluster.internal}"
: "${E2E_PG_USER:=postgres}"
: "${E2E_PG_PASSWORD:=unused-trust-auth}"
: "${E2E_PSQL:=psql -h 127.0.0.1 -U postgres}"
: "${E2E_MQ_USER:=guest}"
: "${E2E_MQ_PASSWORD:=guest}"
: "${E2E_RABBITMQCTL:=rabbitmqctl}"
: "${E2E_CHART_DEPS:=../shared/chart-deps}"
# Seconds each request loop runs beside a rollout before it is stopped.
: "${E2E_SETTLE:=5}"
# How long the chart's load generator shops in the drill phase.
: "${E2E_LOADGEN_DURATION:=60s}"

SERVICES=(catalog search order frontend)
IMAGES=("${SERVICES[@]}" loadgen)
NS=$E2E_NAMESPACE
REL=$E2E_RELEASE
RUN_ID=$(date +%s)$$
DB_CATALOG=shop_e2e_${RUN_ID}_catalog
DB_ORDERS=shop_e2e_${RUN_ID}_orders
VHOST=shop-e2e-$RUN_ID
PROBE_IMAGE=$IMAGE_REPO/frontend:$IMAGE_TAG
VALUES=charts/shop/ci/e2e-values.yaml
# The chart's copy and the request loops' reports; removed at the end.
WORK=$(mktemp -d)
k() { $KUBECTL -n "$NS" "$@"; }
psql_cmd() { read -r -a cmd <<<"$E2E_PSQL"; "${cmd[@]}" "$@"; }
mqctl() { read -r -a cmd <<<"$E2E_RABBITMQCTL"; "${cmd[@]}" "$@"; }

# ---------------------------------------------------------------- phases, timings, failure
declare -a TIMINGS=()
PHASE="" PHASE_START=$SECONDS
phase() {
  end_phase
  PHASE=$1 PHASE_START=$SECONDS
  printf '\n==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$PHASE"
}
end_phase() {
  [[ -n $PHASE ]] && TIMINGS+=("$(printf '%5ds  %s' $((SECONDS - PHASE_START)) "$PHASE")")
  PHASE=""
}
print_timings() {
  end_phase
  printf '\n==> phase timings\n'
  printf '  %s\n' "${TIMINGS[@]}"
}
fail() { echo "E2E FAILED in phase '$PHASE': $*" >&2; exit 1; }
skip_or_fail() {
  if [[ ${SHOP_REQUIRE_INTEGRATION:-} == 1 ]]; then
    echo "E2E FAILED: $* (SHOP_REQUIRE_INTEGRATION=1, so this is a failure, not a skip)" >&2
    exit 1
  fi
  echo "E2E SKIPPED: $* (set SHOP_REQUIRE_INTEGRATION=1 to make this a failure)" >&2
  SKIPPED=1
  exit 0
}

diagnose() {
  echo "==> diagnostics of namespace $NS" >&2
  k get all,pdb,networkpolicy,secret -o wide >&2 || true
  echo "--- events" >&2
  k get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 60 >&2 || true
  local pod
  for pod in $(k get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.phase}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null |
    awk '$3 != "True" && $2 != "Succeeded" {print $1}'); do
    echo "--- describe pod $pod" >&2
    k describe pod "$pod" 2>&1 | tail -n 60 >&2 || true
    echo "--- last logs of $pod" >&2
    k logs "$pod" --all-containers --tail=40 >&2 || true
    k logs "$pod" --all-containers --tail=40 --previous >&2 2>/dev/null || true
  done
}

CREATED_BACKENDS=0 SKIPPED=0
cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)) && $KUBECTL get namespace "$NS" >/dev/null 2>&1; then diagnose; fi
  if [[ ${E2E_KEEP:-} == 1 && $rc != 0 ]]; then
    echo "E2E_KEEP=1: leaving namespace $NS, databases $DB_CATALOG $DB_ORDERS and vhost $VHOST for inspection" >&2
  else
    if $KUBECTL get namespace "$NS" >/dev/null 2>&1; then
      $HELM uninstall "$REL" -n "$NS" --wait --timeout 2m >/dev/null 2>&1
      $KUBECTL delete namespace "$NS" --wait=true --timeout=120s >/dev/null 2>&1
    fi
    if ((CREATED_BACKENDS)); then
      psql_cmd -d postgres -qc "DROP DATABASE IF EXISTS $DB_CATALOG WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DB_ORDERS WITH (FORCE)" >/dev/null
      mqctl -q delete_vhost "$VHOST" >/dev/null 2>&1
    fi
  fi
  rm -rf "$WORK"
  print_timings
  if ((rc == 0 && !SKIPPED)); then echo "E2E PASSED"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- helpers
# wait_available waits for every Deployment of the release to be Available
# with all replicas updated and ready.
wait_available() {
  local d
  for d in "${SERVICES[@]}"; do
    k rollout status "deployment/$REL-$d" --timeout=300s || fail "deployment $REL-$d did not become available"
  done
  k wait --for=condition=Available deployment -l "app.kubernetes.io/instance=$REL" --timeout=60s >/dev/null ||
    fail "not every Deployment is Available"
}

# probe_pod NAME ARGS... starts a Pod of the shop's own image running /probe
# with ARGS, labelled as this release's test client (the NetworkPolicies
# admit it) and hardened like the services.
probe_pod() {
  local name=$1; shift
  local args; args=$(printf '"%s",' "$@"); args="[${args%,}]"
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $name
  labels: {app.kubernetes.io/instance: $REL, app.kubernetes.io/component: test, app.kubernetes.io/name: e2e-probe}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 60
  securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: probe
      image: $PROBE_IMAGE
      imagePullPolicy: Never
      command: ["/probe"]
      args: $args
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 500m, memory: 64Mi}}
      securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
YAML
}

# wait_pod_done NAME SECONDS waits for a probe Pod to finish, prints its log
# and fails unless it succeeded.
wait_pod_done() {
  local name=$1 limit=${2:-300} phase=""
  for ((i = 0; i < limit; i++)); do
    phase=$(k get pod "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [[ $phase == Succeeded || $phase == Failed ]] && break
    sleep 1
  done
  k logs "$name" || true
  [[ $phase == Succeeded ]] || fail "pod $name ended $phase (log above)"
}

# start_load NAME EMAIL starts a request loop (storefront pages and orders);
# stop_load NAME FILE stops it and keeps its JSON report in FILE.
start_load() {
  probe_pod "$1" load -workers=2 "-email=$2" "http://$REL-frontend:5004" "http://$REL-order:5003"
  k wait --for=condition=Ready "pod/$1" --timeout=120s >/dev/null || fail "load pod $1 did not start"
  for ((i = 0; i < 60; i++)); do
    # grep reads all of it (no -q): under pipefail an early exit would kill
    # kubectl with SIGPIPE and fail the check.
    k logs "$1" 2>/dev/null | grep '^load:' >/dev/null && return 0
    sleep 1
  done
  fail "load pod $1 never started its shoppers: $(k logs "$1" 2>&1 | tail -n 5)"
}
stop_load() {
  sleep "$E2E_SETTLE"
  k exec "$1" -- /probe stop
  wait_pod_done "$1" 120 >/dev/null
  k logs "$1" | tail -n 1 >"$2"
  k delete pod "$1" --wait=false >/dev/null
  local requests failed
  requests=$(json_field requests "$2") failed=$(json_field failed "$2")
  echo "request loop $1: $requests requests, $failed failed, $(json_orders "$2" | wc -l) orders accepted"
  ((failed == 0)) || fail "$failed of $requests requests failed during $PHASE: $(grep -o '"errors":\[[^]]*\]' "$2")"
  ((requests > 0)) || fail "the request loop made no request"
}
json_field() { grep -o "\"$1\":[0-9.]*" "$2" | head -n 1 | cut -d: -f2; }
json_orders() { grep -o '"orders":\[[^]]*\]' "$1" | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' || true; }

sql() { psql_cmd -d "$1" -qtAX -v ON_ERROR_STOP=1 -c "$2"; }

# wait_settled CONDITION waits up to 90 s until no pending order matches the
# SQL CONDITION, and fails if one is still pending then.
wait_settled() {
  local pending
  for ((i = 0; i < 90; i++)); do
    pending=$(sql "$DB_ORDERS" "SELECT count(*) FROM orders WHERE status = 'pending' AND ($1)")
    ((pending == 0)) && return 0
    sleep 1
  done
  fail "$pending orders ($1) are still pending after 90 s"
}

# check_orders EMAIL FILE: every order the loop was told was accepted is in
# PostgreSQL exactly once and reaches a final state; no order of EMAIL
# exists that the loop was not told about.
check_orders() {
  local email=$1 report=$2 accepted in_db
  accepted=$(json_orders "$report" | sort)
  local n; n=$(grep -c . <<<"$accepted" || true)
  local dup; dup=$(uniq -d <<<"$accepted" | grep -c . || true)
  ((dup == 0)) || fail "the order API gave $dup order ids twice"
  wait_settled "customer->>'email' = '$email'"
  in_db=$(sql "$DB_ORDERS" "SELECT id FROM orders WHERE customer->>'email' = '$email' ORDER BY id")
  if [[ $in_db != "$accepted" ]]; then
    echo "accepted but not in PostgreSQL:"; comm -23 <(echo "$accepted") <(echo "$in_db") | head
    echo "in PostgreSQL but never accepted:"; comm -13 <(echo "$accepted") <(echo "$in_db") | head
    fail "the orders in PostgreSQL are not the orders accepted"
  fi
  sql "$DB_ORDERS" "SELECT status, count(*) FROM orders WHERE customer->>'email' = '$email' GROUP BY status" | sed 's/^/  /'
  echo "all $n accepted orders of $email are in PostgreSQL once, each confirmed or rejected"
}

# check_stock: the stock now plus every confirmed order's quantities is the
# stock at install, product by product (no reservation lost or made twice).
check_stock() {
  local now sold expected
  now=$(sql "$DB_CATALOG" "SELECT id, stock FROM products ORDER BY id")
  sold=$(sql "$DB_ORDERS" "SELECT l->>'product_id', sum((l->>'quantity')::int) FROM orders, jsonb_array_elements(items) l WHERE status = 'confirmed' GROUP BY 1 ORDER BY 1")
  expected=$(awk -F'|' 'NR == FNR { sold[$1] = $2; next } { print $1 "|" $2 + sold[$1] }' <(echo "$sold") <(echo "$now"))
  if [[ $expected != "$STOCK_AT_INSTALL" ]]; then
    diff <(echo "$STOCK_AT_INSTALL") <(echo "$expected") | head -n 20
    fail "stock + confirmed quantities differ from the stock at install (left: at install, right: now + sold)"
  fi
  echo "stock exact: $(grep -c . <<<"$now") products, $(awk -F'|' '{ s += $2 } END { print s + 0 }' <<<"$sold") items sold"
}

helm_values() {
  local -a v=(-f "$VALUES"
    --set "global.postgresql.host=$E2E_BACKEND_HOST" --set "global.postgresql.username=$E2E_PG_USER"
    --set "global.rabbitmq.host=$E2E_BACKEND_HOST" --set "global.rabbitmq.username=$E2E_MQ_USER"
    --set "global.rabbitmq.vhost=$VHOST"
    --set "catalog.database.name=$DB_CATALOG" --set "order.database.name=$DB_ORDERS"
    --set "tests.image.repository=${IMAGE_REPO#*/}/frontend" --set "tests.image.tag=$IMAGE_TAG"
    --set "loadgenerator.image.repository=${IMAGE_REPO#*/}/loadgen" --set "loadgenerator.image.tag=$IMAGE_TAG")
  local s
  for s in "${SERVICES[@]}"; do v+=(--set "$s.image.repository=${IMAGE_REPO#*/}/$s" --set "$s.image.tag=$IMAGE_TAG"); done
  printf '%s\n' "${v[@]}"
}
helm_release() { # install|upgrade, extra args...
  local verb=$1; shift
  local -a v extra; mapfile -t v < <(helm_values)
  read -r -a extra <<<"${E2E_HELM_ARGS:-}"
  $HELM "$verb" "$REL" "$CHART" -n "$NS" --set "global.imageRegistry=${IMAGE_REPO%%/*}" "${v[@]}" "${extra[@]}" "$@" --wait --timeout 5m
}
# pods_of SERVICE lists its running pods that are not terminating.
pods_of() {
  k get pods -l "app.kubernetes.io/instance=$REL,app.kubernetes.io/name=$1" --field-selector=status.phase=Running \
    -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}} {{end}}{{end}}'
}
secret_digest() { k get secret "$1" -o jsonpath='{.data}' | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------- 1. preflight
phase "preflight: cluster, tools, backends"
for tool in "$KUBECTL" "$HELM" git timeout jq; do
  command -v "$tool" >/dev/null || skip_or_fail "$tool is not installed"
done
read -r -a psql_words <<<"$E2E_PSQL"
command -v "${psql_words[0]}" >/dev/null || skip_or_fail "${psql_words[0]} (E2E_PSQL) is not installed"
if ! server=$($KUBECTL get --raw /version --request-timeout=10s 2>/dev/null | grep -o '"gitVersion": *"[^"]*"' | cut -d'"' -f4) || [[ -z $server ]]; then
  skip_or_fail "no Kubernetes cluster answers at KUBECONFIG=${KUBECONFIG:-~/.kube/config} (start one: ../shared/minicluster/up.sh here, kind elsewhere)"
fi
echo "cluster: Kubernetes $server; helm $($HELM version --short)"
psql_cmd -d postgres -qtAXc 'SELECT 1' >/dev/null 2>&1 || skip_or_fail "PostgreSQL does not answer to: $E2E_PSQL"
mqctl -q list_vhosts >/dev/null 2>&1 || skip_or_fail "RabbitMQ does not answer to: $E2E_RABBITMQCTL list_vhosts"
if $KUBECTL get namespace "$NS" >/dev/null 2>&1; then
  echo "namespace $NS is left from an earlier run: deleting it"
  $HELM uninstall "$REL" -n "$NS" --wait >/dev/null 2>&1 || true
  $KUBECTL delete namespace "$NS" --wait=true --timeout=180s
fi

# ---------------------------------------------------------------- 2. images
phase "images: build $IMAGE_REPO/*:$IMAGE_TAG (make images)"
if [[ ${E2E_SKIP_BUILD:-} != 1 ]]; then
  $MAKE --no-print-directory images IMAGE_REPO="$IMAGE_REPO" IMAGE_TAG="$IMAGE_TAG" IMAGES_DIR="$IMAGES_DIR"
fi

phase "images: load into the cluster"
load=$E2E_LOAD
if [[ $load == auto ]]; then
  if [[ -n $E2E_KIND_CLUSTER ]]; then load=kind; elif command -v ctr >/dev/null && [[ -n ${CONTAINERD_ADDRESS:-} ]]; then load=ctr; else
    fail "cannot tell how to load images: set E2E_KIND_CLUSTER for Kind, CONTAINERD_ADDRESS for containerd (ctr), or E2E_LOAD=none"
  fi
fi
for s in "${IMAGES[@]}"; do
  tarball=$IMAGES_DIR/$s.tar
  [[ $load == none ]] || [[ -f $tarball ]] || fail "no image tarball $tarball"
  case $load in
    kind) kind load image-archive "$tarball" --name "$E2E_KIND_CLUSTER" ;;
    ctr) ctr -n k8s.io images import "$tarball" >/dev/null && echo "imported $IMAGE_REPO/$s:$IMAGE_TAG" ;;
    none) ;;
    *) fail "E2E_LOAD=$load: want auto, kind, ctr or none" ;;
  esac
done

# ---------------------------------------------------------------- 3. install
phase "install: namespace $NS, databases, vhost, helm install"
psql_cmd -d postgres -qc "CREATE DATABASE $DB_CATALOG" -c "CREATE DATABASE $DB_ORDERS"
CREATED_BACKENDS=1
mqctl -q add_vhost "$VHOST"
mqctl -q set_permissions -p "$VHOST" "$E2E_MQ_USER" '.*' '.*' '.*'
echo "databases $DB_CATALOG, $DB_ORDERS; vhost $VHOST"
$KUBECTL create namespace "$NS"
k create secret generic shop-e2e-postgresql --from-literal=password="$E2E_PG_PASSWORD" >/dev/null
k create secret generic shop-e2e-rabbitmq --from-literal=password="$E2E_MQ_PASSWORD" >/dev/null
# Chart dependencies: their conditions are off here, but Helm wants the
# archives present. The chart is installed from a copy, so the checkout's
# charts/ stays as it is (the chart tests render it without them); offline
# machines keep the archives in ../shared/chart-deps (E2E_CHART_DEPS).
CHART=$WORK/shop
cp -rL charts/shop "$CHART"
if ! ls "$CHART"/charts/*.tgz >/dev/null 2>&1; then
  if [[ -d $E2E_CHART_DEPS ]]; then cp "$E2E_CHART_DEPS"/*.tgz "$CHART/charts/"; else $HELM dependency build "$CHART"; fi
fi
helm_release install || fail "helm install failed"
wait_available
STOCK_AT_INSTALL=$(sql "$DB_CATALOG" "SELECT id, stock FROM products ORDER BY id")
[[ -n $STOCK_AT_INSTALL ]] || fail "the catalog database has no products after the install"
ADMIN_SECRET=$REL-admin-token COOKIE_SECRET=$REL-frontend-cookie
ADMIN_DIGEST=$(secret_digest "$ADMIN_SECRET") COOKIE_DIGEST=$(secret_digest "$COOKIE_SECRET")

# ---------------------------------------------------------------- 4. helm test
phase "helm test"
# Without --logs: the hook-succeeded policy deletes a passing test's pod
# before Helm reads its log; a failing one is kept, and diagnose prints it.
$HELM test "$REL" -n "$NS" --timeout 5m || fail "helm test failed"

# ---------------------------------------------------------------- 5. journey
phase "journey: a shopper through the storefront Service"
probe_pod journey journey "http://$REL-frontend:5004"
wait_pod_done journey 300
k delete pod journey --wait=false >/dev/null

# ---------------------------------------------------------------- 6. live pods
phase "live pods: non-root, read-only root, probes, migrations under lock"
for s in "${SERVICES[@]}"; do
  for pod in $(pods_of "$s"); do
    report=$(k exec "$pod" -- /probe self -writable=/tmp,/logs_and_metrics "-files=/logs_and_metrics/$s.log") ||
      fail "$pod: $report"
    [[ $report == *'"uid":65532,"gid":65532,"root_read_only":true'* ]] || fail "$pod runs as $report"
    restarts=$(k get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
    ready=$(k get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
    [[ $ready == True && $restarts == 0 ]] || fail "$pod: ready=$ready restarts=$restarts (liveness or readiness failing)"
    echo "$pod: $report ready, 0 restarts"
  done
done
# Each service keeps goose's version tables (<name>_schema_migrations): two
# replicas racing without the lock would record a version twice or fail.
for db in "$DB_CATALOG" "$DB_ORDERS"; do
  tables=$(sql "$db" "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%schema_migrations' ORDER BY 1")
  [[ -n $tables ]] || fail "$db has no migration version table"
  for t in $tables; do
    twice=$(sql "$db" "SELECT count(*) FROM (SELECT version_id FROM $t WHERE is_applied GROUP BY 1 HAVING count(*) > 1) d")
    applied=$(sql "$db" "SELECT count(*) FROM $t WHERE version_id > 0")
    ((twice == 0)) || fail "$db.$t: $twice migrations were applied twice"
    echo "$db.$t: $applied migrations, each applied once by the 2 replicas started at once"
  done
done

# ---------------------------------------------------------------- 7. upgrade and rollback
phase "upgrade: replicas 1 -> 2 with PodDisruptionBudgets, under a request loop"
start_load load-upgrade upgrade@e2e.example.com
two=()
for s in "${SERVICES[@]}"; do two+=(--set "$s.replicaCount=2" --set "$s.podDisruptionBudget.enabled=true"); done
helm_release upgrade "${two[@]}" || fail "helm upgrade (replicas) failed"
wait_available
for s in "${SERVICES[@]}"; do
  n=$(k get deployment "$REL-$s" -o jsonpath='{.status.readyReplicas}')
  [[ $n == 2 ]] || fail "$REL-$s has $n ready replicas, want 2"
done

phase "upgrade: a config change that restarts every pod, under the request loop"
before=$(k get pods -l "app.kubernetes.io/instance=$REL,app.kubernetes.io/component!=test" -o jsonpath='{.items[*].metadata.uid}')
debug=()
for s in "${SERVICES[@]}"; do debug+=(--set "$s.logLevel=debug"); done
helm_release upgrade "${two[@]}" "${debug[@]}" || fail "helm upgrade (config) failed"
wait_available
for s in "${SERVICES[@]}"; do
  for pod in $(pods_of "$s"); do
    uid=$(k get pod "$pod" -o jsonpath='{.metadata.uid}')
    [[ $before != *"$uid"* ]] || fail "$pod was not restarted by the config change"
  done
done

phase "rollback to revision 2, under the request loop"
$HELM rollback "$REL" 2 -n "$NS" --wait --timeout 5m || fail "helm rollback failed"
wait_available
level=$(k get deployment "$REL-catalog" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="LOG_LEVEL")].value}')
[[ $level != debug ]] || fail "after the rollback LOG_LEVEL is still $level"
stop_load load-upgrade "$WORK/upgrade.json"
check_orders upgrade@e2e.example.com "$WORK/upgrade.json"
[[ $(secret_digest "$ADMIN_SECRET") == "$ADMIN_DIGEST" && $(secret_digest "$COOKIE_SECRET") == "$COOKIE_DIGEST" ]] ||
  fail "a generated Secret changed across helm upgrade and rollback"
echo "generated Secrets $ADMIN_SECRET and $COOKIE_SECRET kept across the upgrades and the rollback"

# ---------------------------------------------------------------- 8. PDB
phase "PodDisruptionBudget against the Eviction API"
evict() {
  $KUBECTL create --raw "/api/v1/namespaces/$NS/pods/$1/eviction" -f - 2>&1 <<JSON
{"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "$1", "namespace": "$NS"}}
JSON
}
for ((i = 0; i < 60; i++)); do
  [[ $(k get pdb "$REL-catalog" -o jsonpath='{.status.disruptionsAllowed}') == 1 ]] && break
  sleep 1
done
read -r -a cat_pods <<<"$(pods_of catalog)"
((${#cat_pods[@]} == 2)) || fail "want 2 catalog pods, found ${cat_pods[*]}"
out=$(evict "${cat_pods[0]}") || fail "evicting ${cat_pods[0]} with one disruption allowed was refused: $out"
echo "evicted ${cat_pods[0]} (one disruption allowed)"
if out=$(evict "${cat_pods[1]}"); then fail "the PDB let the last ready catalog pod ${cat_pods[1]} be evicted"; fi
[[ $out == *"disruption budget"* || $out == *"TooManyRequests"* || $out == *429* ]] || fail "evicting the last ready pod failed for another reason: $out"
echo "the PDB refused to evict ${cat_pods[1]}, the last ready catalog pod: $(grep -o 'Cannot evict[^"]*' <<<"$out" | head -n 1)"
wait_available

# ---------------------------------------------------------------- 9. pod loss
phase "pod loss: kubectl delete pod of each service while orders are placed"
start_load load-podloss podloss@e2e.example.com
for s in "${SERVICES[@]}"; do
  read -r -a ps <<<"$(pods_of "$s")"
  k delete pod "${ps[0]}" --wait=false >/dev/null
  echo "deleted ${ps[0]}"
  sleep 2
  wait_available
done
stop_load load-podloss "$WORK/podloss.json"
check_orders podloss@e2e.example.com "$WORK/podloss.json"
check_stock

# ---------------------------------------------------------------- 10. load generator drill
# container_memory prints "container MiB" for every container of the
# release's pods, the largest pod's figure per container name: the working
# set of its cgroup (what the kubelet evicts on and the limit applies to),
# from the kubelet's summary API through the API server.
container_memory() {
  local node
  for node in $(k get pods -l "app.kubernetes.io/instance=$REL" -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u); do
    $KUBECTL get --raw "/api/v1/nodes/$node/proxy/stats/summary"
  done | jq -r --arg ns "$NS" '[.pods[] | select(.podRef.namespace == $ns) | .containers[] | {name, mib: ((.memory.workingSetBytes // 0) / 1048576)}]
    | group_by(.name)[] | "\(.[0].name) \([.[].mib] | max | floor)"'
}
# close_broker_connections closes the release's AMQP connections, as a
# network blip or a broker failover would.
close_broker_connections() {
  local pid vhost n=0
  while IFS=$'\t' read -r pid vhost; do
    [[ $vhost == "$VHOST" ]] || continue
    mqctl -q close_connection "$pid" "make e2e drill" >/dev/null
    n=$((n + 1))
  done < <(mqctl -q -s list_connections pid vhost)
  echo "closed $n broker connections of vhost $VHOST"
}

phase "load generator drill: the chart's loadgenerator while pods are deleted and broker connections closed"
idle=$(container_memory)
helm_release upgrade "${two[@]}" --set loadgenerator.enabled=true --set "loadgenerator.duration=$E2E_LOADGEN_DURATION" \
  --set loadgenerator.think=200ms --set loadgenerator.mix=browse=40\\,search=30\\,buy=30 --set loadgenerator.extraArgs[0]=-json=- ||
  fail "helm upgrade (loadgenerator.enabled) failed"
LG=$(k get deployment -l "app.kubernetes.io/instance=$REL,app.kubernetes.io/component=loadgenerator" -o name)
[[ -n $LG ]] || fail "the upgrade made no load generator Deployment"
k wait --for=condition=Available "$LG" --timeout=120s >/dev/null || fail "the load generator did not become Available"
lg_pod=$(k get pods -l "app.kubernetes.io/instance=$REL,app.kubernetes.io/component=loadgenerator" -o jsonpath='{.items[0].metadata.name}')
echo "load generator $lg_pod shopping for $E2E_LOADGEN_DURATION"
declare -A peak=()
sample_memory() {
  local name mib
  while read -r name mib; do
    if ((mib > ${peak[$name]:-0})); then peak[$name]=$mib; fi
  done < <(container_memory)
}
sleep 10; sample_memory; close_broker_connections
for s in catalog order; do
  sleep 8; sample_memory
  read -r -a ps <<<"$(pods_of "$s")"
  k delete pod "${ps[0]}" --wait=false >/dev/null
  echo "deleted ${ps[0]}"
done
sleep 8; sample_memory; close_broker_connections
# The run ends after the duration and the shoppers' last orders are
# followed; the container then exits, and its report is the previous log.
for ((i = 0; i < 240; i++)); do
  [[ $(k get pod "$lg_pod" -o jsonpath='{.status.containerStatuses[0].restartCount}') -ge 1 ]] && break
  if ((i % 5 == 0)); then sample_memory; fi
  sleep 1
done
k scale "$LG" --replicas=0 >/dev/null
{ k logs "$lg_pod" --previous 2>/dev/null || true; } | sed -n '/^{$/,/^}$/p' >"$WORK/loadgen.json"
jq -e .run_id "$WORK/loadgen.json" >/dev/null 2>&1 || fail "no report of a finished run in the load generator's log: $(k logs "$lg_pod" 2>&1 | tail -n 5)"
jq -r '"load generator: \(.requests) requests, \(.errors) errors \(.errors_by_kind), \(.rps | floor) requests/s, p99 \(.p99_ms) ms; orders placed \(.orders.placed), confirmed \(.orders.confirmed), rejected \(.orders.rejected), unsettled \(.orders.unsettled)"' "$WORK/loadgen.json"
run_id=$(jq -r .run_id "$WORK/loadgen.json")
accepted=$(jq -r '.orders.ids // {} | keys[]' "$WORK/loadgen.json" | sort)
[[ -n $accepted ]] || fail "the load generator placed no order"
wait_settled true
stored=$(sql "$DB_ORDERS" "SELECT id FROM orders WHERE customer->>'email' LIKE 'shopper-$run_id-%' ORDER BY id")
lost=$(comm -23 <(echo "$accepted") <(echo "$stored") | grep -c . || true)
unanswered=$(comm -13 <(echo "$accepted") <(echo "$stored") | grep -c . || true)
dup=$(sql "$DB_ORDERS" "SELECT count(*) - count(DISTINCT customer->>'email') FROM orders WHERE customer->>'email' LIKE 'shopper-$run_id-%'")
echo "accounting: $(grep -c . <<<"$accepted") accepted, $(grep -c . <<<"$stored") stored, lost $lost, duplicated $dup, stored without an answer $unanswered"
((lost == 0)) || fail "$lost accepted orders are not in PostgreSQL"
((dup == 0)) || fail "$dup checkouts were stored more than once"
check_stock
echo "container memory (MiB, cgroup working set; idle before the run, then the peak during it):"
while read -r name mib; do printf '  %-14s idle %4s  peak %4s\n' "$name" "$mib" "${peak[$name]:-?}"; done <<<"$idle"
printf '  %-14s            peak %4s\n' loadgenerator "${peak[loadgenerator]:-?}"

# ---------------------------------------------------------------- 11. extra phases
# Every executable scripts/e2e/phases/*.sh runs here against the installed
# release, with NAMESPACE, RELEASE, KUBECONFIG, HELM, KUBECTL and
# PROBE_IMAGE (the shop image with /probe) in its environment; a non-zero
# exit fails the run.
for extra in scripts/e2e/phases/*.sh; do
  [[ -x $extra ]] || continue
  phase "extra: $extra"
  NAMESPACE=$NS RELEASE=$REL HELM=$HELM KUBECTL=$KUBECTL PROBE_IMAGE=$PROBE_IMAGE "$extra" || fail "$extra failed"
done

# ---------------------------------------------------------------- 12. uninstall
phase "uninstall: nothing of the release left behind"
$HELM uninstall "$REL" -n "$NS" --wait --timeout 3m
for ((i = 0; i < 60; i++)); do
  left=$(k get all,configmap,secret,pdb,networkpolicy,serviceaccount,role,rolebinding,ingress -l "app.kubernetes.io/instance=$REL" -o name 2>/dev/null)
  # Documented exceptions: the generated Secrets are kept on purpose
  # (helm.sh/resource-policy: keep) so a reinstall keeps its passwords.
  left=$(grep -vx -e "secret/$ADMIN_SECRET" -e "secret/$COOKIE_SECRET" <<<"$left" || true)
  [[ -z $left ]] && break
  sleep 1
done
[[ -z $left ]] || fail "left behind after helm uninstall: $left"
for keep in "$ADMIN_SECRET" "$COOKIE_SECRET"; do
  [[ $(k get secret "$keep" -o jsonpath='{.metadata.annotations.helm\.sh/resource-policy}') == keep ]] ||
    fail "secret $keep is left behind without helm.sh/resource-policy: keep"
done
echo "nothing left but the kept Secrets $ADMIN_SECRET and $COOKIE_SECRET (helm.sh/resource-policy: keep)"
