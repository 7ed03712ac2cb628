#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium for the Web UI end-to-end test
# (internal/e2e/webui_test.go), installing Debian's chromium package when there is none.
#
# Typical use: export SAASBRIDGE_CHROMIUM=$(scripts/chromium.sh)
#
# Only the path goes to stdout; progress and errors go to stderr. Lookup order:
#   1. SAASBRIDGE_CHROMIUM, if set (it must then name a working browser);
#   2. chromium, chromium-browser, google-chrome-stable, google-chrome, headless-shell in PATH,
#      then Debian's /usr/bin/chromium and /usr/lib/chromium/chromium;
#   3. otherwise Debian's chromium package is installed with apt-get (sudo when not root),
#      non-interactively. Nothing else is ever downloaded: no browser bundles, no snaps.
set -euo pipefail

SCRIPT=chromium.sh
# shellcheck source=scripts/debian.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

find_chromium() {
  local c p
  if [[ -n ${SAASBRIDGE_CHROMIUM:-} ]]; then
    if works "$SAASBRIDGE_CHROMIUM"; then
      echo "$SAASBRIDGE_CHROMIUM"
      return 0
    fi
    die "SAASBRIDGE_CHROMIUM=$SAASBRIDGE_CHROMIUM is not a working browser: fix or unset it"
  fi
  for c in chromium chromium-browser google-chrome-stable google-chrome headless-shell; do
    if p=$(command -v "$c") && works "$p"; then
      echo "$p"
      return 0
    fi
  done
  for p in /usr/bin/chromium /usr/lib/chromium/chromium; do
    if works "$p"; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

install_chromium() {
  say "no Chromium found: installing Debian's chromium package (a minute or two, once)"
  apt_install chromium "install Debian's chromium package (or set SAASBRIDGE_CHROMIUM to a Chromium) and retry"
}

if find_chromium; then
  exit 0
fi
install_chromium
find_chromium || die "Debian's chromium package is installed but no working chromium binary was found"
