#!/bin/bash
# Gives each Shop service its own PostgreSQL role, owner of its database and
# of nothing else, and turns the server's TLS on or off. The shop-roles
# container beside the bundled PostgreSQL runs it (`watch`: once the server
# answers on 127.0.0.1, and again whenever this script, its configuration or
# the passwords change); the chart's tests run it once (`apply`) against a
# local server. Every statement is idempotent, so an existing installation
# whose services connected as the superuser gets the same result as a new
# one: a role per service, its database handed to it with every object the
# superuser made there.
#
# Configuration: shop-roles.conf beside this script (SHOP_ROLES_CONF), one
# directive a line, written by the chart from its values:
#   superuser NAME KEY   the superuser to connect as, its password in $SHOP_SECRETS/KEY
#   role ROLE DATABASE   the role of a service and the database it owns
#   tls on|off           the server's TLS, with tls.crt and tls.key in $SHOP_SECRETS
# Passwords: $SHOP_SECRETS/ROLE (default /etc/shop/postgresql, the Secret of
# global.postgresql.existingSecret). PGHOST and PGPORT default to the server
# beside this container.
set -uo pipefail

conf=${SHOP_ROLES_CONF:-$(dirname "$0")/shop-roles.conf}
secrets=${SHOP_SECRETS:-/etc/shop/postgresql}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGDATABASE=postgres

log() { echo "shop-roles: $*" >&2; }

# sql runs psql on standard input with ON_ERROR_STOP and the variables given.
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@" -f -; }

# ensure_role ROLE DATABASE creates or updates the role and its database.
ensure_role() {
	local role=$1 db=$2
	if [[ ! $role =~ ^[a-z_][a-z0-9_$-]*$ || ! $db =~ ^[a-z_][a-z0-9_$-]*$ ]]; then
		log "refusing role '$role' / database '$db': not a plain lower-case name"
		return 1
	fi
	if [[ ! -r $secrets/$role ]]; then
		log "no password for role $role in $secrets"
		return 1
	fi
	SHOP_ROLE_PASSWORD=$(<"$secrets/$role") sql -v role="$role" -v db="$db" <<'SQL'
\getenv password SHOP_ROLE_PASSWORD
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
\connect :"db"
-- What the superuser made here (the services' migrations, before they had
-- roles of their own) becomes the role's: tables, views, sequences not
-- owned by a table, routines, schemas and types, never an extension's.
SELECT format('ALTER %s %s OWNER TO %I',
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
         c.oid::regclass, :'role')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND c.relowner <> :'role'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
\gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'role')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p')
   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND p.proowner <> :'role'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
\gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, :'role')
  FROM pg_namespace n
 WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND n.nspowner <> :'role'::regrole AND n.nspowner IS DISTINCT FROM to_regrole('pg_database_owner')
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
\gexec
SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, :'role')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND t.typowner <> :'role'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
\gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
}

# tls on|off turns the server's TLS on with the certificate in $SHOP_SECRETS,
# or back off (ssl can change on a reload since PostgreSQL 10).
tls() {
	if [[ $1 == on ]]; then
		if [[ ! -r $secrets/tls.crt || ! -r $secrets/tls.key ]]; then
			log "TLS is on but $secrets has no tls.crt and tls.key"
			return 1
		fi
		sql -v cert="$secrets/tls.crt" -v key="$secrets/tls.key" <<'SQL'
ALTER SYSTEM SET ssl_cert_file = :'cert';
ALTER SYSTEM SET ssl_key_file = :'key';
ALTER SYSTEM SET ssl = on;
SELECT pg_reload_conf() \g /dev/null
SQL
	else
		sql <<'SQL'
ALTER SYSTEM RESET ssl;
ALTER SYSTEM RESET ssl_cert_file;
ALTER SYSTEM RESET ssl_key_file;
SELECT pg_reload_conf() \g /dev/null
SQL
	fi
}

# apply carries out every directive of the configuration.
apply() {
	local directive a b
	while read -r directive a b <&3 || [[ -n ${directive:-} ]]; do
		case $directive in
		superuser)
			export PGUSER=$a
			if [[ -r $secrets/$b ]]; then PGPASSWORD=$(<"$secrets/$b"); export PGPASSWORD; fi
			;;
		role) ensure_role "$a" "$b" || return 1 ;;
		tls) tls "$a" || return 1 ;;
		'' | '#'*) ;;
		*)
			log "unknown directive '$directive' in $conf"
			return 1
			;;
		esac
	done 3<"$conf"
}

# ready tells whether the server answers.
ready() { pg_isready -q; }

# shellcheck source=watch.sh
source "$(dirname "$0")/shop-watch"
