#!/usr/bin/env bash
# Installs or upgrades the Shop with Helm for one environment.
# Usage: scripts/deploy-helm.sh dev|staging|prod|VALUES_FILE [namespace] [release] [extra helm args...]
# Builds the dependency charts first when they are not in charts/shop/charts/
# (needs their repositories: see charts/shop/README.md), then waits for every
# pod to be ready.
set -euo pipefail

usage="usage: $0 dev|staging|prod|VALUES_FILE [namespace] [release] [helm args...]"
profile=${1:?$usage}
namespace=${2:-ecommerce}
release=${3:-shop}
shift $(($# < 3 ? $# : 3))
chart=$(cd "$(dirname "$0")/.." && pwd)/charts/shop
case $profile in
dev | staging | prod) values=$chart/values-$profile.yaml ;;
*) values=$profile ;;
esac
[[ -f $values ]] || { echo "no values file $values: $usage" >&2; exit 2; }

# The dependency charts, unless charts/ already holds them at the locked
# versions (make chart-deps, or an earlier build): building needs the
# repositories.
if helm dependency list "$chart" | awk 'NR > 1 && NF && $NF != "ok" && $NF != "unpacked" { bad = 1 } END { exit !bad }'; then
	helm dependency build "$chart"
fi
helm upgrade --install "$release" "$chart" \
	--namespace "$namespace" --create-namespace \
	--values "$values" \
	--wait --timeout 10m \
	"$@"
helm status "$release" --namespace "$namespace"
