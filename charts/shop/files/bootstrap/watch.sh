#!/bin/bash
# The loop both bootstrap scripts share, sourced by them (as shop-watch
# beside them): `watch` applies the configuration once the server answers
# (their `ready`), and again whenever the script, its configuration ($conf)
# or a password ($secrets) changes; `apply` applies it once. The caller
# defines ready, apply, log, conf and secrets.

# shellcheck disable=SC2154 # conf and secrets are the caller's
watch() {
	trap 'exit 0' TERM INT
	local applied="" sum
	while :; do
		sum=$(cat "$0" "$conf" "$secrets"/* 2>/dev/null | sha256sum)
		if [[ $sum != "$applied" ]] && ready; then
			if apply; then
				applied=$sum
				log "applied"
			else
				log "applying failed; retrying"
			fi
		fi
		sleep 5 &
		wait $!
	done
}

case ${1:-} in
apply) apply ;;
watch) watch ;;
*)
	echo "usage: $0 apply|watch" >&2
	exit 2
	;;
esac
