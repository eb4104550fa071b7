#!/usr/bin/env bash
# Installs Istio for the Shop with Helm and labels the application namespace:
#   sidecar  base, istiod, the ingress gateway; namespace istio-injection=enabled
#   ambient  base, istiod (profile ambient), istio-cni, ztunnel, the ingress
#            gateway, the Gateway API CRDs (waypoints are Gateways); namespace
#            istio.io/dataplane-mode=ambient and istio.io/use-waypoint
# Usage: istio/install.sh [sidecar|ambient] [namespace] [waypoint]
# The Istio version is the one scripts/crds.txt pins for istio.io/api.
# Needs kubectl, helm and go on PATH (go fetches the Gateway API CRDs).
set -euo pipefail

mode=${1:-sidecar}
namespace=${2:-ecommerce}
waypoint=${3:-shop-waypoint}
here=$(cd "$(dirname "$0")" && pwd)
crds=$here/../scripts/crds.txt
repo=https://istio-release.storage.googleapis.com/charts

case $mode in
sidecar | ambient) ;;
*) echo "usage: $0 [sidecar|ambient] [namespace] [waypoint]" >&2; exit 2 ;;
esac

pin() { awk -v m="$1" '$1 == m { print $2 }' "$crds"; }
version=$(pin istio.io/api)
version=${version#v}

helm upgrade --install istio-base base --repo "$repo" --version "$version" \
	-n istio-system --create-namespace --wait -f "$here/values-base.yaml"
if [[ $mode == ambient ]]; then
	# Waypoints are Gateway API Gateways of class istio-waypoint.
	dir=$(cd "$(mktemp -d)" && go mod download -json "sigs.k8s.io/gateway-api@$(pin sigs.k8s.io/gateway-api)" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	kubectl apply --server-side -f "$dir/config/crd/standard"
	helm upgrade --install istiod istiod --repo "$repo" --version "$version" -n istio-system --wait \
		-f "$here/values-istiod.yaml" --set profile=ambient
	helm upgrade --install istio-cni cni --repo "$repo" --version "$version" -n istio-system --wait --set profile=ambient
	helm upgrade --install ztunnel ztunnel --repo "$repo" --version "$version" -n istio-system --wait
else
	helm upgrade --install istiod istiod --repo "$repo" --version "$version" -n istio-system --wait \
		-f "$here/values-istiod.yaml"
fi
helm upgrade --install istio-ingressgateway gateway --repo "$repo" --version "$version" \
	-n istio-ingress --create-namespace --wait -f "$here/values-gateway.yaml"

kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f -
if [[ $mode == ambient ]]; then
	kubectl label namespace "$namespace" istio-injection- >/dev/null 2>&1 || true
	kubectl label namespace "$namespace" --overwrite istio.io/dataplane-mode=ambient \
		istio.io/use-waypoint="$waypoint" istio.io/ingress-use-waypoint=true
else
	kubectl label namespace "$namespace" istio.io/dataplane-mode- istio.io/use-waypoint- >/dev/null 2>&1 || true
	kubectl label namespace "$namespace" --overwrite istio-injection=enabled
fi
echo "Istio $version ($mode) is installed; namespace $namespace is labelled for it."
