# shellcheck shell=bash
# Sourced by the scripts that find a tool and install its Debian package when it is
# missing (chromium.sh, promtool.sh, postgres.sh). The caller sets SCRIPT (its name, for
# messages) before sourcing.

say() { echo "$SCRIPT: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# works succeeds if $1 is an executable that reports a version.
works() {
  [[ -n $1 && -x $1 ]] || return 1
  "$1" --version >/dev/null 2>&1
}

# apt_install PACKAGE HINT [VAR=VALUE...] installs Debian's PACKAGE with apt-get,
# non-interactively (sudo -n when not root), keeping the existing configuration files;
# the VAR=VALUE pairs go to apt-get's environment. HINT says what to do instead when it
# cannot (no apt-get, not root and no sudo).
apt_install() {
  local pkg=$1 hint=$2
  shift 2
  command -v apt-get >/dev/null || die "apt-get not found: $hint"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "not root and no sudo: $hint"
    sudo=(sudo -n)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2 ||
    die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "$@" apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$pkg" >&2 ||
    die "apt-get install $pkg failed"
}
