#!/usr/bin/env bash
# Installs or upgrades the Shop with Helm for one environment.
# Usage: scripts/deploy-helm.sh dev|staging|prod [namespace] [release] [extra helm args...]
# Builds the dependency charts first (needs their repositories: see
# charts/shop/README.md), then waits for every pod to be ready.
set -euo pipefail

env=${1:?usage: $0 dev|staging|prod [namespace] [release] [helm args...]}
namespace=${2:-ecommerce}
release=${3:-shop}
shift $(($# < 3 ? $# : 3))
chart=$(cd "$(dirname "$0")/.." && pwd)/charts/shop
values=$chart/values-$env.yaml
[[ -f $values ]] || { echo "no $values" >&2; exit 2; }

helm dependency build "$chart"
helm upgrade --install "$release" "$chart" \
	--namespace "$namespace" --create-namespace \
	--values "$values" \
	--wait --timeout 10m \
	"$@"
helm status "$release" --namespace "$namespace"
