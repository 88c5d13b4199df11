#!/bin/sh
# Least-privilege PostgreSQL roles for sibcase (README: "Production set-up").
#
#   bin/db_roles.sh create   once, as a superuser: the owner role (owns the database and, through migrate, every
#                            table) and the app role (logs in, reads and writes rows, owns nothing)
#   bin/db_roles.sh grant    after every `manage.py migrate`, as the owner (or a superuser): the app role's grants
#                            on the tables that exist now
#
# The app role gets SELECT, INSERT, UPDATE, DELETE on the tables and USAGE on their sequences, and nothing else:
# no TRUNCATE, REFERENCES or TRIGGER anywhere; on the append-only tables (the audit trail, the access log and any
# table guarded by the append-only trigger sibcase_refuse_change) only SELECT and INSERT; on django_migrations only
# SELECT. Owning nothing, it cannot ALTER TABLE ... DISABLE TRIGGER, drop or truncate a table; not being a
# superuser, it cannot SET session_replication_role = replica (which would skip the triggers).
#
# Environment:
#   DATABASE_URL        where to connect (psql's URI or key=value form; empty: psql's defaults and PG* variables,
#                       e.g. the Unix socket inside the postgres container's /docker-entrypoint-initdb.d)
#   DB_OWNER_ROLE       default sibcase_owner      DB_OWNER_PASSWORD  required by `create`
#   DB_APP_ROLE         default sibcase_app        DB_APP_PASSWORD    required by `create`
#
# Both steps can be run again at any time; they only add what is missing and take away what the app must not have.
set -eu

command="${1:-create}"  # no argument: run from the postgres image's initdb.d, which sources or runs scripts bare
owner="${DB_OWNER_ROLE:-sibcase_owner}"
app="${DB_APP_ROLE:-sibcase_app}"

run_psql() {
    if [ -n "${DATABASE_URL:-}" ]; then
        psql -X -q -v ON_ERROR_STOP=1 -v owner="$owner" -v app="$app" "$@" "$DATABASE_URL"
    else
        psql -X -q -v ON_ERROR_STOP=1 -v owner="$owner" -v app="$app" "$@" \
            --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}"
    fi
}

case "$command" in
create)
    : "${DB_OWNER_PASSWORD:?set DB_OWNER_PASSWORD}" "${DB_APP_PASSWORD:?set DB_APP_PASSWORD}"
    run_psql -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" <<'SQL'
-- Roles: log in, nothing more (no superuser, no role or database creation, no replication, no RLS bypass).
SELECT format('CREATE ROLE %I LOGIN', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner')
\gexec
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app')
\gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'owner', :'owner_password')
\gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'app', :'app_password')
\gexec
-- The owner owns the database (and so may create tables in its public schema: migrate).
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'owner')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database())
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app')
\gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('GRANT USAGE, CREATE ON SCHEMA public TO %I', :'owner')
\gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'app')
\gexec
-- Tables the owner creates later are readable and writable by the app at once; `grant` then narrows the logs.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
              :'owner', :'app')
\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I',
              :'owner', :'app')
\gexec
SQL
    echo "db_roles: roles $owner (owner) and $app (app) ready; run 'bin/db_roles.sh grant' after migrate"
    ;;
grant)
    run_psql <<'SQL'
BEGIN;
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', :'app')
\gexec
SELECT format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', :'app')
\gexec
SELECT format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM %I', :'app')
\gexec
-- Append-only: the audit trail, the access log, and every table the append-only trigger guards.
SELECT format('REVOKE UPDATE, DELETE, TRUNCATE ON TABLE %I.%I FROM %I', n.nspname, c.relname, :'app')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
   AND (c.relname IN ('sibcase_auditevent', 'sibcase_accesslogentry')
        OR c.oid IN (SELECT t.tgrelid FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                      WHERE p.proname = 'sibcase_refuse_change'))
\gexec
SELECT format('REVOKE INSERT, UPDATE, DELETE ON TABLE django_migrations FROM %I', :'app')
 WHERE to_regclass('public.django_migrations') IS NOT NULL
\gexec
COMMIT;
SQL
    echo "db_roles: grants for $app brought up to date"
    ;;
*)
    echo "usage: bin/db_roles.sh create|grant" >&2
    exit 2
    ;;
esac
