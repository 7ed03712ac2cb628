#!/usr/bin/env bash
# Prints the path of promtool, which checks the alert rules (deploy/prometheus/alerts.yml)
# and the dashboard's queries in internal/e2e/monitoring_test.go, installing Debian's
# prometheus package (which ships promtool) when there is none.
#
# Typical use: export SAASBRIDGE_PROMTOOL=$(scripts/promtool.sh)
#
# Only the path goes to stdout; progress and errors go to stderr. Lookup order:
#   1. SAASBRIDGE_PROMTOOL, if set (it must then name a working promtool);
#   2. promtool in PATH, then Debian's /usr/bin/promtool;
#   3. otherwise Debian's prometheus package is installed with apt-get (sudo when not
#      root), non-interactively, without starting its server. Nothing else is downloaded.
set -euo pipefail

SCRIPT=promtool.sh
# shellcheck source=scripts/debian.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

find_promtool() {
  local p
  if [[ -n ${SAASBRIDGE_PROMTOOL:-} ]]; then
    if works "$SAASBRIDGE_PROMTOOL"; then
      echo "$SAASBRIDGE_PROMTOOL"
      return 0
    fi
    die "SAASBRIDGE_PROMTOOL=$SAASBRIDGE_PROMTOOL is not a working promtool: fix or unset it"
  fi
  for p in "$(command -v promtool || true)" /usr/bin/promtool; do
    if works "$p"; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

install_promtool() {
  say "no promtool found: installing Debian's prometheus package (once)"
  # RUNLEVEL=1: the package's scripts leave its server stopped (only promtool is wanted).
  apt_install prometheus "install Debian's prometheus package (or set SAASBRIDGE_PROMTOOL to a promtool) and retry" RUNLEVEL=1
}

if find_promtool; then
  exit 0
fi
install_promtool
find_promtool || die "Debian's prometheus package is installed but no working promtool was found"
