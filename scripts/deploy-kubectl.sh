#!/usr/bin/env bash
# Deploys the Shop with `helm template | kubectl apply`, for clusters where
# only kubectl may change objects. Helm renders against the cluster
# (--dry-run=server) so the generated passwords and the autoscaled replica
# counts are looked up and kept, not replaced on every apply; the helm test
# pods are left out.
#
# kubectl apply has no hooks and applies into one namespace, so a profile
# that needs hooks (other than helm tests) or puts objects in other
# namespaces is refused before anything is applied: the bundled
# kube-prometheus-stack (admission webhook certificates made by hook Jobs,
# Services in kube-system) is one. Install those with scripts/deploy-helm.sh.
#
# Usage: scripts/deploy-kubectl.sh dev|staging|prod|VALUES_FILE [namespace] [release] [extra helm args...]
set -euo pipefail

# shellcheck source=scripts/deploy-profile.sh
source "$(dirname "$0")/deploy-profile.sh"

rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
helm template "$release" "$chart" \
	--namespace "$namespace" \
	--values "$values" \
	--dry-run=server --include-crds \
	"$@" >"$rendered"

# Hooks other than helm tests, and objects in another namespace, cannot be
# applied by kubectl faithfully: refuse, naming them.
problems=$(awk -v ns="$namespace" '
	/^---/ { kind = ""; name = ""; depth = 0 }
	/^kind: / { kind = $2 }
	/^  name: / && name == "" { name = $2 }
	/^  namespace: / && $2 != ns { print "  " kind "/" name " is in namespace " $2 }
	/^    "?helm.sh\/hook"?: / && $0 !~ /test/ { print "  " kind "/" name " is a helm hook (" $2 ")" }
' "$rendered" | sort -u)
if [[ -n $problems ]]; then
	{
		echo "$values cannot be deployed with kubectl apply:"
		echo "$problems"
		echo "Deploy it with scripts/deploy-helm.sh, or turn off what renders these (kube-prometheus-stack.enabled)."
	} >&2
	exit 3
fi

# The helm test pods are hooks that only `helm test` runs.
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f -
awk '
	/^---/ { if (doc !~ /helm.sh\/hook"?: test/) printf "%s", doc; doc = "" }
	{ doc = doc $0 "\n" }
	END { if (doc !~ /helm.sh\/hook"?: test/) printf "%s", doc }
' "$rendered" |
	kubectl apply --server-side --field-manager=shop-deploy --namespace "$namespace" -f -
kubectl rollout status deployment --namespace "$namespace" \
	--selector "app.kubernetes.io/instance=$release" --timeout 10m
