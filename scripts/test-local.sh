#!/usr/bin/env bash
# Runs the tests a developer runs before pushing chart changes:
#   the chart harness (make test-chart: SDK render and lint, helm 3 and 4,
#   kube-apiserver validation, hardening, config parity), then, with --kind,
#   chart-testing's lint and install of every ci/ profile in a Kind cluster
#   made by scripts/kind-up.sh ci (needs ct, kind, kubectl, helm, and the
#   images in a registry the cluster reaches).
# Usage: scripts/test-local.sh [--kind]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

make test-chart

if [[ ${1:-} == --kind ]]; then
	scripts/kind-up.sh ci
	ct lint --config ct.yaml --all
	ct install --config ct.yaml --all
fi
