#!/usr/bin/env bash
# Tests must leave nothing behind on the shared RabbitMQ broker or PostgreSQL
# server. This lists every vhost, queue, exchange and database, and compares
# the list with a baseline taken before the tests ran:
#
#   scripts/check-leftovers.sh baseline FILE   record what exists now
#   scripts/check-leftovers.sh check FILE      print what is new since, and
#                                              exit 1 if anything is
#
# .ci/run takes the baseline after starting the backends and checks at the
# end. PostgreSQL is reached with psql (PGHOST/PGPORT/PGUSER, default
# 127.0.0.1:5432 as postgres), RabbitMQ with rabbitmqctl.
set -euo pipefail

usage() { echo "usage: $0 baseline|check FILE" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
mode=$1 file=$2

# inventory prints one sorted line per object: "vhost NAME",
# "queue VHOST NAME", "exchange VHOST NAME", "database NAME".
inventory() {
  local vhost
  {
    while IFS= read -r vhost; do
      [[ -n $vhost ]] || continue
      printf 'vhost %s\n' "$vhost"
      rabbitmqctl -q -s list_queues -p "$vhost" name </dev/null | sed "/^$/d; s|^|queue $vhost |"
      # The default exchange (empty name) and the amq.* ones come with
      # every vhost.
      rabbitmqctl -q -s list_exchanges -p "$vhost" name </dev/null | sed "/^$/d; /^amq\./d; s|^|exchange $vhost |"
    done < <(rabbitmqctl -q -s list_vhosts name)
    psql -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d postgres -XAtqc \
      'SELECT datname FROM pg_database WHERE NOT datistemplate' | sed 's|^|database |'
  } | LC_ALL=C sort -u
}

case $mode in
  baseline)
    inventory > "$file"
    echo "leftover baseline: $(wc -l < "$file") broker and database objects recorded in $file"
    ;;
  check)
    [[ -f $file ]] || { echo "no baseline at $file (run $0 baseline $file before the tests)" >&2; exit 2; }
    now=$(mktemp)
    trap 'rm -f "$now"' EXIT
    inventory > "$now"
    left=$(LC_ALL=C comm -13 "$file" "$now")
    if [[ -n $left ]]; then
      echo "LEFTOVERS: the tests left these behind on the broker or the database server:" >&2
      while IFS= read -r line; do printf '  %s\n' "$line"; done <<<"$left" >&2
      exit 1
    fi
    echo "no leftovers: every queue, exchange, vhost and database the tests made is gone"
    ;;
  *) usage ;;
esac
