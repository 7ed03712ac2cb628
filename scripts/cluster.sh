#!/usr/bin/env bash
# A real Temporal cluster on loopback: PostgreSQL (scripts/postgres.sh), Temporal's two schemas,
# frontend, history, matching and worker as four separate temporal-server processes, and the
# Web UI (temporal-ui-server) pointed at the frontend. Every port is in one config file,
# deploy/cluster/cluster.yaml; the binaries are built into bin/ by `make cluster`.
#
#   scripts/cluster.sh up            everything, in the foreground (make cluster); Ctrl-C stops
#                                    it and halts PostgreSQL, keeping the data for the next start
#   scripts/cluster.sh prepare       start PostgreSQL; create both databases and bring their
#                                    schemas to this server version (idempotent)
#   scripts/cluster.sh run SERVICE   run one process in the foreground (exec): frontend, history,
#                                    matching, worker or ui
#   scripts/cluster.sh register      wait for the frontend; create the namespace and every custom
#                                    search attribute (`starter search-attributes`) (idempotent)
#   scripts/cluster.sh drop          drop both databases (stop the services first)
#   scripts/cluster.sh down          stop the cluster's PostgreSQL and delete all of its data
#
# Settings (environment):
#   TEMPORAL_PORT          the frontend's gRPC port (default 7233); the other 12 ports of the
#                          cluster follow it (see cluster.yaml), so 7233-7245 by default
#   TEMPORAL_UI_PORT       the Web UI (default TEMPORAL_PORT + 1000: 8233)
#   TEMPORAL_NAMESPACE     the namespace registered (default: default)
#   TEMPORAL_DB            the database name (default temporal; visibility in <name>_visibility)
#   SAASBRIDGE_PG_PORT     PostgreSQL's port (default 54330: the cluster's own server, apart from
#                          the tests' throwaway one on 54329, which `make test` deletes)
#   TEMPORAL_UI_CODEC_ENDPOINT  the codec server the UI decrypts payloads with (default the
#                          starter's, http://127.0.0.1:8080/codec)
#   SAASBRIDGE_CLUSTER_DIR where `up` and `prepare` write their logs (default build/cluster)
#   SAASBRIDGE_STARTER_BIN the starter program (default bin/starter) that lists the search attributes
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin

say() { echo "cluster.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# port_number checks that $1 names a port number with room for the cluster's block above it.
port_number() {
  if ! [[ ${!1} =~ ^[0-9]+$ ]] || ((${!1} == 0 || ${!1} + port_count > 65535)); then
    die "$1=${!1} is not a usable port number"
  fi
}

# The block of ports cluster.yaml uses, from TEMPORAL_PORT on.
port_count=13
export TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
port_number TEMPORAL_PORT
export TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-$((TEMPORAL_PORT + 1000))}
export TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
export TEMPORAL_DB=${TEMPORAL_DB:-temporal}
export SAASBRIDGE_PG_PORT=${SAASBRIDGE_PG_PORT:-54330}
export TEMPORAL_UI_CODEC_ENDPOINT=${TEMPORAL_UI_CODEC_ENDPOINT:-http://127.0.0.1:8080/codec}
logs=${SAASBRIDGE_CLUSTER_DIR:-$root/build/cluster}
starter=${SAASBRIDGE_STARTER_BIN:-$bin/starter}
frontend=127.0.0.1:$TEMPORAL_PORT
services=(frontend history matching worker)

port_number TEMPORAL_UI_PORT
port_number SAASBRIDGE_PG_PORT
# The name is spliced into SQL (DROP DATABASE) unquoted.
[[ $TEMPORAL_DB =~ ^[a-z_][a-z0-9_]{0,40}$ ]] || die "TEMPORAL_DB=$TEMPORAL_DB: use lower-case letters, digits and _ (at most 41)"

need_bin() {
  [[ -x $bin/$1 ]] || die "$bin/$1 not found: run \`make cluster\`, which builds it"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# sql_tool runs temporal-sql-tool against the cluster's PostgreSQL (trust auth on loopback).
sql_tool() {
  "$bin/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1 --port "$SAASBRIDGE_PG_PORT" --user postgres "$@"
}

# schema_dir prints the schema directory of the server's own module version, from the Go
# module cache (downloaded again if the cache was cleaned since the build).
schema_dir() {
  local version dir
  version=$("$bin/temporal-server" --version | awk '{print $NF}')
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot tell the version of $bin/temporal-server ($version)"
  dir=$(cd "$root" && go mod download -json "go.temporal.io/server@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir/schema/postgresql/v12 ]] || die "schema files of go.temporal.io/server@v$version not found (module directory: '$dir')"
  echo "$dir/schema/postgresql/v12"
}

prepare() {
  need_bin temporal-server
  need_bin temporal-sql-tool
  mkdir -p "$logs"
  "$root/scripts/postgres.sh" start >/dev/null
  local schema log=$logs/schema.log
  schema=$(schema_dir)
  say "databases $TEMPORAL_DB and ${TEMPORAL_DB}_visibility on 127.0.0.1:$SAASBRIDGE_PG_PORT: schemas from $schema (log: $log)"
  local db kind
  for kind in temporal visibility; do
    db=$TEMPORAL_DB
    [[ $kind == visibility ]] && db=${TEMPORAL_DB}_visibility
    if ! {
      sql_tool --database "$db" create-database &&
        sql_tool --database "$db" setup-schema -v 0.0 &&
        sql_tool --database "$db" update-schema -d "$schema/$kind/versioned"
    } >>"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "schema setup of $db failed (log: $log)"
    fi
  done
}

# run replaces this shell with one process of the cluster, so that its PID is the process's
# own (the e2e harness kills and restarts services by PID).
run() {
  cd "$root"
  case ${1:-} in
  frontend | history | matching | worker)
    need_bin temporal-server
    TEMPORAL_SERVICE=$1 exec "$bin/temporal-server" --root "$root" --config deploy/cluster --env cluster \
      --allow-no-auth start --service "$1"
    ;;
  ui)
    need_bin temporal-ui-server
    exec "$bin/temporal-ui-server" --root "$root" --config deploy/cluster --env cluster start
    ;;
  *) die "run what? frontend, history, matching, worker or ui (got '${1:-}')" ;;
  esac
}

temporal() { "$bin/temporal" --address "$frontend" --namespace "$TEMPORAL_NAMESPACE" "$@"; }

register() {
  need_bin temporal
  [[ -x $starter ]] || die "$starter not found: run \`make build\` (or set SAASBRIDGE_STARTER_BIN)"
  local i
  for ((i = 0; i < 600; i++)); do
    temporal operator cluster health 2>/dev/null | grep -q SERVING && break
    sleep 0.2
  done
  ((i < 600)) || die "the frontend on $frontend is not serving after 2 minutes"
  if ! temporal operator namespace describe >/dev/null 2>&1; then
    say "registering namespace $TEMPORAL_NAMESPACE"
    temporal operator namespace create --retention 72h >/dev/null
  fi
  # Search attributes the namespace lacks; the frontend may take a moment to see a new
  # namespace, so this retries until every one is listed.
  local want name type have created=0 query=
  want=$("$starter" search-attributes)
  for ((i = 0; i < 300; i++)); do
    if have=$(temporal operator search-attribute list 2>/dev/null); then
      local missing=0
      while IFS='=' read -r name type; do
        grep -qw -- "$name" <<<"$have" && continue
        missing=1 created=1
        temporal operator search-attribute create --name "$name" --type "$type" >/dev/null 2>&1 || true
      done <<<"$want"
      ((missing == 0)) && break
    fi
    sleep 0.2
  done
  ((i < 300)) || die "the search attributes were not all registered after a minute"
  if ((created)); then
    # Each service maps a namespace's search attributes from its namespace cache, refreshed
    # every 2 s (system.namespaceCacheRefreshInterval): a workflow started before then is
    # refused. Wait until a query naming them all is accepted, then one refresh more for
    # the services other than the frontend.
    while IFS='=' read -r name type; do query+=" OR $name IS NULL"; done <<<"$want"
    for ((i = 0; i < 300; i++)); do
      temporal workflow count --query "${query# OR }" >/dev/null 2>&1 && break
      sleep 0.2
    done
    ((i < 300)) || die "the frontend does not accept queries on the new search attributes after a minute"
    sleep 2
  fi
  say "namespace $TEMPORAL_NAMESPACE has its search attributes: $(tr '\n' ' ' <<<"$want")"
}

drop() {
  need_bin temporal-sql-tool
  local db
  for db in "$TEMPORAL_DB" "${TEMPORAL_DB}_visibility"; do
    sql_tool drop-database --database "$db" --force >/dev/null 2>&1 || say "could not drop database $db"
  done
}

pids=()
pg_was_running=0
stopped=0
stop_all() {
  ((stopped == 0)) || return 0
  stopped=1
  echo >&2
  say "stopping"
  local pid i alive
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 100; i++)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive == 0)) && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if ((pg_was_running == 0)); then
    "$root/scripts/postgres.sh" halt
  fi
}

# wait_serving waits for the frontend, giving up as soon as a process has exited.
wait_serving() {
  local i pid
  for ((i = 0; i < 600; i++)); do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "a cluster process exited while starting; see the logs in $logs"
    done
    temporal operator cluster health 2>/dev/null | grep -q SERVING && return
    sleep 0.2
  done
  die "the frontend on $frontend is not serving after 2 minutes; see the logs in $logs"
}

up() {
  local p
  for ((p = TEMPORAL_PORT; p < TEMPORAL_PORT + port_count; p++)); do
    ! port_open "$p" || die "port $p is in use (the cluster takes $TEMPORAL_PORT-$((TEMPORAL_PORT + port_count - 1))): stop what uses it or set TEMPORAL_PORT"
  done
  ! port_open "$TEMPORAL_UI_PORT" || die "port $TEMPORAL_UI_PORT is in use: set TEMPORAL_UI_PORT"
  port_open "$SAASBRIDGE_PG_PORT" && pg_was_running=1
  trap stop_all EXIT
  trap "stop_all; exit 0" INT TERM
  prepare
  # The frontend first, until it listens: by then it has written the cluster's metadata,
  # which processes starting on a fresh database at the same moment race to write (the
  # losers exit). The others follow at once: a service that starts alone waits out the
  # members of a recent run recorded in the database (about 45 s) before it serves.
  local svc i
  for svc in "${services[@]}"; do
    "$0" run "$svc" >"$logs/$svc.log" 2>&1 &
    pids+=($!)
    [[ $svc == frontend ]] || continue
    for ((i = 0; i < 600; i++)); do
      kill -0 "${pids[0]}" 2>/dev/null || die "the frontend exited while starting; see $logs/frontend.log"
      port_open "$TEMPORAL_PORT" && break
      sleep 0.1
    done
  done
  wait_serving
  register
  "$0" run ui >"$logs/ui.log" 2>&1 &
  pids+=($!)
  cat >&2 <<EOF

  Temporal cluster (frontend, history, matching, worker: one process each; logs in $logs)
  Frontend:   $frontend   (TEMPORAL_ADDRESS for the worker and starter)
  Web UI:     http://127.0.0.1:$TEMPORAL_UI_PORT   (codec: $TEMPORAL_UI_CODEC_ENDPOINT)
  PostgreSQL: 127.0.0.1:$SAASBRIDGE_PG_PORT, databases $TEMPORAL_DB and ${TEMPORAL_DB}_visibility
  Ctrl-C stops it; the data stays for the next start (scripts/cluster.sh down deletes it).

EOF
  # Any process exiting takes the cluster down: a half cluster is worse than none.
  local rc=0
  wait -n "${pids[@]}" || rc=$?
  say "a cluster process exited ($rc); see the logs in $logs"
  exit 1
}

case "${1:-}" in
up) up ;;
prepare) prepare ;;
run) run "${2:-}" ;;
register) register ;;
drop) drop ;;
down) "$root/scripts/postgres.sh" stop ;;
*)
  echo "usage: $0 up|prepare|run SERVICE|register|drop|down" >&2
  exit 2
  ;;
esac
