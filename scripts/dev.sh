#!/usr/bin/env bash
# Runs saasbridge locally on loopback: a real Temporal dev server with its Web UI, the
# HighLevel and Actionstep sandboxes seeded with a demo agency and organisation, the
# worker and the starter. It needs no settings: local credentials and keys are
# generated once into .dev/ (git-ignored), readable by you only, like the databases and
# logs next to them.
#
#   scripts/dev.sh            start everything; Ctrl-C stops everything
#   scripts/dev.sh onboard ID onboard a location against the running stack
#
# SAASBRIDGE_DEV_DIR and SAASBRIDGE_BIN_DIR move .dev/ and bin/ (the end-to-end tests of
# this script use them).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dev="${SAASBRIDGE_DEV_DIR:-$root/.dev}"
bin="${SAASBRIDGE_BIN_DIR:-$root/bin}"

# Everything this script and the programs it starts create (credentials, databases,
# logs, the cookie jar) is for the owner only; files a previous version left readable
# are tightened.
umask 077
mkdir -p "$dev"
chmod 700 "$dev"
find "$dev" -maxdepth 1 -type f -exec chmod 600 {} +

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
SANDBOX_PORT=${SANDBOX_PORT:-8081}
ACTIONSTEP_PORT=${ACTIONSTEP_PORT:-8082}
STARTER_PORT=${STARTER_PORT:-8080}
OPERATOR_PORT=${OPERATOR_PORT:-8090}
DEMO_LOCATIONS=${DEMO_LOCATIONS:-25}

rand_alnum() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"; }
rand_hex() { LC_ALL=C tr -dc 'a-f0-9' </dev/urandom | head -c "$1"; }

# Local credentials, generated once (each missing one added) so a restart keeps the
# token store usable.
touch "$dev/env"
ensure() { grep -q "^$1=" "$dev/env" || echo "$1=$2" >>"$dev/env"; }
ensure HIGHLEVEL_CLIENT_ID "$(rand_hex 24)-$(LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c 8)"
ensure HIGHLEVEL_CLIENT_SECRET "$(cat /proc/sys/kernel/random/uuid)"
ensure HIGHLEVEL_COMPANY_ID "$(rand_alnum 20)"
ensure STORE_ENCRYPTION_KEY "$(head -c 32 /dev/urandom | base64)"
ensure BILLING_WEBHOOK_SECRETS "$(rand_alnum 32)"
# The demo agency's Stripe account (the sandbox) signs its events with this endpoint secret.
ensure STRIPE_WEBHOOK_SECRETS "whsec_$(rand_alnum 32)"
ensure ACTIONSTEP_CLIENT_ID "saasbridge-$(rand_hex 8)"
ensure ACTIONSTEP_CLIENT_SECRET "$(rand_alnum 32)"
ensure ACTIONSTEP_ORG_KEY demolaw
ensure PAYLOAD_ENCRYPTION_KEYS "dev1:$(head -c 32 /dev/urandom | base64)"
ensure CODEC_AUTH_TOKEN "$(rand_alnum 40)"
set -a
# shellcheck disable=SC1091
. "$dev/env"
HIGHLEVEL_BASE_URL=http://127.0.0.1:$SANDBOX_PORT
HIGHLEVEL_AUTH_URL=http://127.0.0.1:$SANDBOX_PORT/v2/oauth/chooselocation
TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
TEMPORAL_NAMESPACE=default
STORE_DSN=$dev/tokens.db
STARTER_LISTEN_ADDR=127.0.0.1:$STARTER_PORT
STARTER_PUBLIC_URL=http://127.0.0.1:$STARTER_PORT
STARTER_OPERATOR_ADDR=127.0.0.1:$OPERATOR_PORT
CONSOLE_TEMPORAL_UI_URL=http://127.0.0.1:$TEMPORAL_UI_PORT
# The simulators require PKCE (SANDBOX_REQUIRE_PKCE below), so every connect proves it.
HIGHLEVEL_OAUTH_PKCE=on
ACTIONSTEP_OAUTH_PKCE=on
ACTIONSTEP_AUTH_URL=http://127.0.0.1:$ACTIONSTEP_PORT/api/oauth/authorize
ACTIONSTEP_TOKEN_URL=http://127.0.0.1:$ACTIONSTEP_PORT/api/oauth/token
LOG_FORMAT=console
LOG_LEVEL=${LOG_LEVEL:-info}
WORKER_HTTP_ADDR=127.0.0.1:${WORKER_HTTP_PORT:-9090}
set +a

if [[ "${1:-}" == "onboard" ]]; then
  shift
  loc=${1:-}
  if [[ -z "$loc" ]]; then
    loc=$(curl -fsS "http://127.0.0.1:$SANDBOX_PORT/_sandbox/state" | grep -o '"id":"[A-Za-z0-9]\{20\}"' | grep -v "$HIGHLEVEL_COMPANY_ID" | head -1 | cut -d'"' -f4)
  fi
  exec "$bin/starter" onboard --location "$loc" --wait
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo ">> stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give each process 10 s to finish in-flight work, then make sure nothing is left.
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && return
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

wait_for() { # url what
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "!! $2 did not come up; see $dev/*.log" >&2
  exit 1
}

# The Web UI decodes payloads through the starter's operator listener. The dev server's
# UI signs nobody in, so it cannot send a token: the codec endpoint carries it in its
# path.
echo ">> Temporal dev server (logs: .dev/temporal.log)"
"$bin/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --db-filename "$dev/temporal.db" --log-level warn \
  --dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=true \
  --dynamic-config-value history.transferProcessorMaxPollRPS=200 \
  --dynamic-config-value matching.enableFairness=true \
  --ui-codec-endpoint "http://127.0.0.1:$OPERATOR_PORT/codec/$CODEC_AUTH_TOKEN" >"$dev/temporal.log" 2>&1 &
pids+=($!)

echo ">> HighLevel sandbox (logs: .dev/sandbox.log)"
SANDBOX_ADDR=127.0.0.1:$SANDBOX_PORT \
SANDBOX_HIGHLEVEL_CLIENT_ID=$HIGHLEVEL_CLIENT_ID SANDBOX_HIGHLEVEL_CLIENT_SECRET=$HIGHLEVEL_CLIENT_SECRET \
SANDBOX_AUTO_CONSENT=true SANDBOX_REQUIRE_PKCE=true SANDBOX_SEED_AGENCY_ID=$HIGHLEVEL_COMPANY_ID SANDBOX_SEED_LOCATIONS=$DEMO_LOCATIONS \
SANDBOX_WEBHOOK_URL=http://127.0.0.1:$STARTER_PORT/webhooks/highlevel SANDBOX_WEBHOOK_RETRY_INTERVAL=30s SANDBOX_WEBHOOK_RSA_BITS=2048 \
SANDBOX_STRIPE_WEBHOOK_URL=http://127.0.0.1:$STARTER_PORT/webhooks/stripe SANDBOX_STRIPE_WEBHOOK_SECRETS=$STRIPE_WEBHOOK_SECRETS \
SANDBOX_ACTIONSTEP_ADDR=127.0.0.1:$ACTIONSTEP_PORT SANDBOX_ACTIONSTEP_CLIENT_ID=$ACTIONSTEP_CLIENT_ID \
SANDBOX_ACTIONSTEP_CLIENT_SECRET=$ACTIONSTEP_CLIENT_SECRET SANDBOX_ACTIONSTEP_SEED_ORG=$ACTIONSTEP_ORG_KEY \
  "$bin/sandbox" >"$dev/sandbox.log" 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$TEMPORAL_UI_PORT/" "Temporal dev server"
wait_for "http://127.0.0.1:$SANDBOX_PORT/_sandbox/healthz" "sandbox"
"$root/scripts/search-attributes.sh" "$TEMPORAL_ADDRESS" "$TEMPORAL_NAMESPACE"

# The starter verifies the sandbox's webhook signatures with the sandbox's public keys.
keys=$(curl -fsS "http://127.0.0.1:$SANDBOX_PORT/_sandbox/webhooks/keys")
pem_of() { printf '%s' "$keys" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
export HIGHLEVEL_WEBHOOK_ED25519_PUBLIC_KEYS="$(pem_of ed25519)"
export HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS="$(pem_of rsa)"

echo ">> worker (logs: .dev/worker.log)"
"$bin/worker" >"$dev/worker.log" 2>&1 &
pids+=($!)
echo ">> starter (logs: .dev/starter.log)"
"$bin/starter" serve >"$dev/starter.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$OPERATOR_PORT/healthz" "starter"

# As an operator would: the start page on the operator listener, then the public begin
# and callback pages.
echo ">> connecting the demo agency and the demo Actionstep organisation through their OAuth flows"
for provider in highlevel actionstep; do
  curl -fsS -L -c "$dev/cookies" -b "$dev/cookies" -o /dev/null "http://127.0.0.1:$OPERATOR_PORT/oauth/$provider/start"
done
rm -f "$dev/cookies"

echo ">> applying the reconciliation and credential-upkeep schedules"
"$bin/starter" schedules apply

first=$(curl -fsS "http://127.0.0.1:$SANDBOX_PORT/_sandbox/state" | grep -o '"id":"[A-Za-z0-9]\{20\}"' | grep -v "$HIGHLEVEL_COMPANY_ID" | head -1 | cut -d'"' -f4)
cat <<MSG

  saasbridge is running.
    Temporal Web UI   http://127.0.0.1:$TEMPORAL_UI_PORT   (payloads decoded by the starter's codec server)
    starter, public   http://127.0.0.1:$STARTER_PORT   (webhooks, Stripe and billing events, OAuth callbacks)
    starter, operator http://127.0.0.1:$OPERATOR_PORT   (connect: /oauth/highlevel/start, /oauth/actionstep/start; /metrics, /readyz, /codec)
    location console  http://127.0.0.1:$OPERATOR_PORT/console   (every location, parked events, audit timelines)
    worker probes     http://$WORKER_HTTP_ADDR   (/metrics, /readyz)
    HighLevel sandbox http://127.0.0.1:$SANDBOX_PORT   (state: /_sandbox/state)
    Actionstep sandbox http://127.0.0.1:$ACTIONSTEP_PORT  (state: /_sandbox/orgs/$ACTIONSTEP_ORG_KEY)

  Onboard a demo location (in another terminal):
    make onboard LOCATION=$first
  Or let the sandbox send HighLevel's webhooks (signed, to the starter):
    curl -X POST localhost:$SANDBOX_PORT/_sandbox/webhooks/bulk-install -d '{"companyId":"$HIGHLEVEL_COMPANY_ID","count":5}'
  and the agency's Stripe events (Stripe-signed, to the starter), e.g. once $first is onboarded:
    curl -X POST localhost:$SANDBOX_PORT/_sandbox/stripe/send -d '{"type":"customer.subscription.paused","locationId":"$first"}'

  Decode a history with the CLI:
    bin/temporal workflow show -w <id> --codec-endpoint http://127.0.0.1:$OPERATOR_PORT/codec --codec-auth "Bearer \$CODEC_AUTH_TOKEN"
  (the token is in $dev/env).

  Logs are in $dev. Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
echo "!! a process exited; see .dev/*.log" >&2
