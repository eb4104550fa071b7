#!/bin/bash
# Gives each Shop service its own RabbitMQ user whose permissions cover the
# exchange and its own queues in the services' virtual host, and nothing
# else. The shop-users container beside the bundled RabbitMQ runs it
# (`watch`: once the node runs, and again whenever this script, its
# configuration or the passwords change); the chart's tests run it once
# (`apply`) against a local broker. Idempotent: an existing user gets its
# password and permissions set again.
#
# Configuration: shop-users.conf beside this script (SHOP_USERS_CONF), one
# directive a line, written by the chart from its values:
#   vhost VHOST                         the services' virtual host (created if missing)
#   user USER CONFIGURE WRITE READ      a service's user and its permissions (regular expressions)
# Passwords: $SHOP_SECRETS/USER (default /etc/shop/rabbitmq, the Secret of
# global.rabbitmq.existingSecret). rabbitmqctl reaches RABBITMQ_NODENAME;
# beside the bundled broker (RABBITMQ_USE_LONGNAME=true, as the server runs)
# that is the node of this pod, rabbit@ its fully qualified host name, and
# the Erlang cookie is in $HOME; elsewhere, rabbitmqctl's own default node.
set -uo pipefail

conf=${SHOP_USERS_CONF:-$(dirname "$0")/shop-users.conf}
secrets=${SHOP_SECRETS:-/etc/shop/rabbitmq}
node=${RABBITMQ_NODENAME:-}
if [[ -z $node && ${RABBITMQ_USE_LONGNAME:-} == true ]]; then
	node=rabbit@$(hostname -f)
fi

log() { echo "shop-users: $*" >&2; }

ctl() { rabbitmqctl -q ${node:+-n "$node"} "$@"; }

# ensure_user USER CONFIGURE WRITE READ creates or updates the user, sets
# its password from its file and its permissions in the vhost.
ensure_user() {
	local user=$1 configure=$2 write=$3 read=$4 verb=add_user
	if [[ ! -r $secrets/$user ]]; then
		log "no password for user $user in $secrets"
		return 1
	fi
	if ctl list_users --no-table-headers | cut -f1 | grep -qxF -- "$user"; then
		verb=change_password
	fi
	ctl "$verb" -- "$user" <"$secrets/$user" >/dev/null || return 1
	ctl set_permissions -p "$vhost" -- "$user" "$configure" "$write" "$read" >/dev/null
}

# apply carries out every directive of the configuration.
apply() {
	local directive a b c d
	vhost=/
	while read -r directive a b c d <&3 || [[ -n ${directive:-} ]]; do
		case $directive in
		vhost)
			vhost=$a
			if ! ctl list_vhosts --no-table-headers | grep -qxF -- "$vhost"; then
				ctl add_vhost -- "$vhost" >/dev/null || return 1
			fi
			;;
		user) ensure_user "$a" "$b" "$c" "$d" || return 1 ;;
		'' | '#'*) ;;
		*)
			log "unknown directive '$directive' in $conf"
			return 1
			;;
		esac
	done 3<"$conf"
}

# ready tells whether the server answers.
ready() { ctl await_startup --timeout 5 >/dev/null 2>&1; }

# shellcheck source=watch.sh
source "$(dirname "$0")/shop-watch"
