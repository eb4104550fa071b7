# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
# Sourced by deploy-helm.sh and deploy-kubectl.sh: reads their common
# arguments (profile, namespace, release) into $values, $namespace, $release
# and $chart, leaves the extra helm arguments in "$@", and builds the
# dependency charts unless charts/ already holds them at the locked versions
# (make chart-deps, or an earlier build): building needs the repositories.
usage="usage: $0 dev|staging|prod|VALUES_FILE [namespace] [release] [helm args...]"
profile=${1:?$usage}
namespace=${2:-ecommerce}
release=${3:-shop}
shift $(($# < 3 ? $# : 3))
chart=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/charts/shop
case $profile in
dev | staging | prod) values=$chart/values-$profile.yaml ;;
*) values=$profile ;;
esac
[[ -f $values ]] || { echo "no values file $values: $usage" >&2; exit 2; }
if helm dependency list "$chart" | awk 'NR > 1 && NF && $NF != "ok" && $NF != "unpacked" { bad = 1 } END { exit !bad }'; then
	helm dependency build "$chart"
fi
