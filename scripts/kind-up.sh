#!/usr/bin/env bash
# Creates a Kind cluster with what a values profile of charts/shop needs:
#   dev      nothing more (the storefront is reached with kubectl port-forward)
#   staging  ingress-nginx, the ECK operator, the Prometheus Operator CRDs (the
#            environment's own monitoring stack selects the shop's monitors)
#   prod     the ECK operator, the Prometheus Operator CRDs, Istio (istio/install.sh: base, istiod, the ingress
#            gateway; ISTIO_MODE=ambient adds istio-cni and ztunnel)
#   ci       ingress-nginx, the ECK operator, the Gateway API CRDs: every ci/ profile
# Usage: [ISTIO_MODE=sidecar|ambient] scripts/kind-up.sh [dev|staging|prod|ci] [cluster-name]
# Needs kind, kubectl, helm and go on PATH. Versions come from scripts/crds.txt.
set -euo pipefail

profile=${1:-dev}
cluster=${2:-shop}
here=$(cd "$(dirname "$0")" && pwd)

case $profile in
dev | staging | prod | ci) ;;
*) echo "usage: $0 [dev|staging|prod|ci] [cluster-name]" >&2; exit 2 ;;
esac

# pin MODULE prints the version scripts/crds.txt pins for a module.
pin() { awk -v m="$1" '$1 == m { print $2 }' "$here/crds.txt"; }

# apply_crds MODULE applies the CRDs scripts/crds.txt lists for a module,
# taken from the Go module cache.
apply_crds() {
	local dir path
	dir=$(cd "$(mktemp -d)" && go mod download -json "$1@$(pin "$1")" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	awk -v m="$1" '$1 == m { for (i = 3; i <= NF; i++) print $i }' "$here/crds.txt" | while read -r path; do
		kubectl apply --server-side -f "$dir/$path"
	done
}

if ! kind get clusters | grep -x "$cluster" >/dev/null; then
	kind create cluster --name "$cluster" --wait 120s --config - <<'KIND'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    kubeadmConfigPatches:
      - |
        kind: InitConfiguration
        nodeRegistration:
          kubeletExtraArgs:
            node-labels: "ingress-ready=true"
    extraPortMappings:
      - containerPort: 80
        hostPort: 80
      - containerPort: 443
        hostPort: 443
KIND
fi
kubectl config use-context "kind-$cluster"

if [[ $profile == staging || $profile == ci ]]; then
	helm upgrade --install ingress-nginx ingress-nginx --repo https://kubernetes.github.io/ingress-nginx \
		-n ingress-nginx --create-namespace --wait \
		--set controller.hostPort.enabled=true --set controller.service.type=ClusterIP \
		--set-string controller.nodeSelector.ingress-ready=true
fi

if [[ $profile != dev ]]; then
	eck=$(pin github.com/elastic/cloud-on-k8s/v3)
	helm upgrade --install elastic-operator eck-operator --repo https://helm.elastic.co \
		--version "${eck#v}" -n elastic-system --create-namespace --wait
fi

if [[ $profile == ci ]]; then
	apply_crds sigs.k8s.io/gateway-api
fi

if [[ $profile != dev ]]; then
	# Staging and prod use the cluster's existing monitoring stack, whose CRDs
	# the shop's monitors need; the ServiceMonitors of ci/full-values.yaml can
	# be applied before its bundled kube-prometheus-stack has installed them.
	apply_crds github.com/prometheus-operator/prometheus-operator
fi

if [[ $profile == prod ]]; then
	# Istio in the mode of ISTIO_MODE (sidecar or ambient, as the chart's
	# istio.mode), with the ecommerce namespace labelled for it.
	"$here/../istio/install.sh" "${ISTIO_MODE:-sidecar}" ecommerce
fi

echo "Kind cluster $cluster is ready for the $profile profile."
