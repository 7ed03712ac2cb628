#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (the token store's PostgreSQL dialect).
#
#   scripts/postgres.sh start   start it, or reuse the one running; wait until it accepts
#                               connections; print its DSN
#   scripts/postgres.sh dsn     print its DSN
#   scripts/postgres.sh halt    stop it and keep its data (the next `start` carries on with it)
#   scripts/postgres.sh stop    stop it and delete its data
#
# Typical use: export SAASBRIDGE_TEST_POSTGRES_DSN=$(scripts/postgres.sh start)
#
# Only the DSN goes to stdout; progress and errors go to stderr. Settings:
#   SAASBRIDGE_PG_PORT  port on 127.0.0.1 (default 54329)
#   SAASBRIDGE_PG_DIR   where its data and log live (default /tmp/saasbridge-postgres-PORT: the
#                       server user must be able to reach it, which a checkout under /root is not)
#
# The server binaries come from PATH or /usr/lib/postgresql/*/bin (newest first); if there are
# none, Debian's postgresql package is installed (sudo when not root). initdb and postgres refuse
# to run as root, so as root the server runs as the postgres system user (a dedicated one is
# created if absent). Authentication is trust, on 127.0.0.1 only; durability is off (fsync=off),
# which is fine for data that `stop` deletes anyway.
set -euo pipefail
shopt -s nullglob

port=${SAASBRIDGE_PG_PORT:-54329}
base=${SAASBRIDGE_PG_DIR:-/tmp/saasbridge-postgres-$port}
data=$base/data
log=$base/server.log
dsn="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

SCRIPT=postgres.sh
# shellcheck source=scripts/debian.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

if ! [[ $port =~ ^[0-9]+$ ]] || ((port == 0 || port > 65535)); then
  die "SAASBRIDGE_PG_PORT=$port is not a port number"
fi
[[ $base == /* && $base != / ]] || die "SAASBRIDGE_PG_DIR=$base must be an absolute path other than /"

# The server's OS user: ourselves, or when root a system user that initdb accepts.
if ((EUID == 0)); then
  server_user=postgres
  if ! id -u "$server_user" >/dev/null 2>&1; then
    server_user=saasbridge-pg
    if ! id -u "$server_user" >/dev/null 2>&1; then
      say "creating system user $server_user to run the server (initdb refuses root)"
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$server_user" >&2
    fi
  fi
else
  server_user=$(id -un)
fi

# as_server runs a command as the server's user, from / (a working directory the user cannot
# read makes initdb and pg_ctl fail), without the lock's descriptor: a server that inherited it
# would hold the lock for as long as it runs.
as_server() {
  if ((EUID != 0)); then
    (cd / && exec 9<&- && "$@")
  elif command -v runuser >/dev/null; then
    (cd / && exec 9<&- && runuser -u "$server_user" -- "$@")
  else
    (cd / && exec 9<&- && su -s /bin/sh "$server_user" -c "$(printf '%q ' "$@")")
  fi
}

bindir=
# find_bindir sets bindir to a directory holding initdb, pg_ctl and postgres.
find_bindir() {
  local d candidates=()
  if d=$(command -v pg_ctl); then
    candidates+=("$(dirname "$(readlink -f "$d")")")
  fi
  if d=$(command -v initdb); then
    candidates+=("$(dirname "$(readlink -f "$d")")")
  fi
  local debian=(/usr/lib/postgresql/*/bin)
  if ((${#debian[@]})); then
    while IFS= read -r d; do candidates+=("$d"); done < <(printf '%s\n' "${debian[@]}" | sort -V -r)
  fi
  for d in "${candidates[@]}"; do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
      bindir=$d
      return 0
    fi
  done
  return 1
}

install_postgres() {
  say "no PostgreSQL server binaries (initdb, pg_ctl) in PATH or /usr/lib/postgresql/*/bin: installing Debian's postgresql package"
  apt_install postgresql "install Debian's postgresql package and retry"
}

pg_ready() {
  local isready=$bindir/pg_isready
  [[ -x $isready ]] || isready=$(command -v pg_isready || true)
  if [[ -n $isready ]]; then
    "$isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres
  else # no client tools: settle for the port accepting connections
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

server_running() {
  [[ -n $bindir && -f $data/PG_VERSION ]] && as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# wait_ready waits up to $1 seconds for the server to accept connections.
wait_ready() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    pg_ready && return 0
    sleep 0.1
  done
  return 1
}

# lock_base creates the base directory, owned by the server user, and serializes this script's
# runs on it (a second `make test` starting at once).
lock_base() {
  [[ ! -L $base ]] || die "$base is a symlink; refusing to use it"
  mkdir -p "$base"
  if ((EUID == 0)); then
    chown "$server_user:" "$base"
  fi
  chmod 700 "$base"
  [[ $(stat -c %U "$base") == "$server_user" ]] || die "$base is not owned by $server_user; remove it or set SAASBRIDGE_PG_DIR"
  if command -v flock >/dev/null; then
    exec 9<"$base"
    flock 9
  fi
}

start() {
  find_bindir || { install_postgres && find_bindir; } || die "PostgreSQL's server binaries are still missing after installing"
  lock_base
  if server_running; then
    if wait_ready 15; then
      say "reusing the server already running on 127.0.0.1:$port ($data)"
      echo "$dsn"
      return
    fi
    # A postmaster.pid whose process is stuck, or whose PID now belongs to something else.
    say "the server recorded in $data does not answer; restarting it"
    as_server "$bindir/pg_ctl" -D "$data" -m immediate -w -t 10 stop >&2 || rm -f "$data/postmaster.pid"
  fi
  if pg_ready; then
    die "something else already listens on 127.0.0.1:$port; stop it or set SAASBRIDGE_PG_PORT"
  fi

  local version
  version=$("$bindir/pg_ctl" --version | awk '{print $3}')
  version=${version%%.*}
  if [[ -d $data && $(cat "$data/PG_VERSION" 2>/dev/null) != "$version" ]]; then
    say "discarding $data (unfinished, or made by another PostgreSQL version)"
    rm -rf "$data"
  fi
  if [[ ! -d $data ]]; then
    say "initializing $data with $bindir (PostgreSQL $version), as $server_user"
    as_server "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >&2
    # Trust, but only over TCP from 127.0.0.1 (the server listens nowhere else, and has no socket).
    printf '%s\n' '# TYPE  DATABASE  USER  ADDRESS       METHOD' 'host    all       all   127.0.0.1/32  trust' |
      as_server tee "$data/pg_hba.conf" >/dev/null
    printf '%s\n' "# scripts/postgres.sh: a throwaway server for the tests" \
      "listen_addresses = '127.0.0.1'" "unix_socket_directories = ''" "max_connections = 200" \
      "fsync = off" "synchronous_commit = off" "full_page_writes = off" |
      as_server tee -a "$data/postgresql.conf" >/dev/null
  fi
  say "starting PostgreSQL $version on 127.0.0.1:$port (log: $log)"
  if ! as_server "$bindir/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >&2; then
    [[ -f $log ]] && tail -n 30 "$log" >&2
    die "the server did not start"
  fi
  if ! wait_ready 60; then
    [[ -f $log ]] && tail -n 30 "$log" >&2
    die "the server on 127.0.0.1:$port did not become ready within 60 s (log: $log)"
  fi
  echo "$dsn"
}

# halt stops the server and keeps its data (scripts/cluster.sh keeps the cluster's between runs).
halt() {
  [[ -d $base ]] || return 0
  find_bindir || true
  lock_base
  if server_running; then
    say "stopping the server on 127.0.0.1:$port (data kept in $data)"
    as_server "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
  fi
}

stop() {
  [[ -d $base ]] || {
    say "nothing to stop ($base does not exist)"
    return
  }
  find_bindir || true
  lock_base
  if server_running; then
    say "stopping the server on 127.0.0.1:$port"
    as_server "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
  elif [[ -f $data/postmaster.pid ]]; then # binaries gone, or pg_ctl cannot tell
    local pid
    pid=$(head -n 1 "$data/postmaster.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      say "stopping postmaster $pid"
      kill -INT "$pid"
      for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$data" "$log"
  rmdir "$base" 2>/dev/null || true
}

case "${1:-}" in
start) start ;;
halt) halt ;;
stop) stop ;;
dsn) echo "$dsn" ;;
*)
  echo "usage: $0 start|halt|stop|dsn" >&2
  exit 2
  ;;
esac
