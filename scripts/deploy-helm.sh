#!/usr/bin/env bash
# Installs or upgrades the Shop with Helm for one environment.
# Usage: scripts/deploy-helm.sh dev|staging|prod|VALUES_FILE [namespace] [release] [extra helm args...]
# Builds the dependency charts first when they are not in charts/shop/charts/
# (needs their repositories: see charts/shop/README.md), then waits for every
# pod to be ready.
set -euo pipefail

# shellcheck source=scripts/deploy-profile.sh
source "$(dirname "$0")/deploy-profile.sh"
helm upgrade --install "$release" "$chart" \
	--namespace "$namespace" --create-namespace \
	--values "$values" \
	--wait --timeout 10m \
	"$@"
helm status "$release" --namespace "$namespace"
