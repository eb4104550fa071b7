#!/usr/bin/env bash
# Deploys the Shop with `helm template | kubectl apply`, for clusters where
# only kubectl may change objects. Helm renders against the cluster
# (--dry-run=server) so the generated passwords are looked up and kept, not
# replaced on every apply; the helm test pods are left out.
# Usage: scripts/deploy-kubectl.sh dev|staging|prod [namespace] [release] [extra helm args...]
set -euo pipefail

env=${1:?usage: $0 dev|staging|prod [namespace] [release] [helm args...]}
namespace=${2:-ecommerce}
release=${3:-shop}
shift $(($# < 3 ? $# : 3))
chart=$(cd "$(dirname "$0")/.." && pwd)/charts/shop
values=$chart/values-$env.yaml
[[ -f $values ]] || { echo "no $values" >&2; exit 2; }

helm dependency build "$chart"
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f -
helm template "$release" "$chart" \
	--namespace "$namespace" \
	--values "$values" \
	--dry-run=server --no-hooks --include-crds \
	"$@" |
	kubectl apply --server-side --field-manager=shop-deploy --namespace "$namespace" -f -
kubectl rollout status deployment --namespace "$namespace" \
	--selector "app.kubernetes.io/instance=$release" --timeout 10m
