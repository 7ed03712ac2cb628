#!/usr/bin/env bash
# Registers the custom search attributes the workflows need (`starter search-attributes`
# lists them) on a running Temporal server. Registering an attribute that exists with the
# same type is a no-op, so this runs on every `make dev` start: a dev server registers its
# --search-attribute flags only when it creates its database, so an existing .dev/temporal.db
# (or an upgrade that adds an attribute) would otherwise lack them.
#
#   scripts/search-attributes.sh ADDRESS [NAMESPACE]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SAASBRIDGE_BIN_DIR:-$root/bin}
address=${1:?usage: scripts/search-attributes.sh ADDRESS [NAMESPACE]}
namespace=${2:-default}

# The frontend may still be starting: wait for the namespace to answer.
for _ in $(seq 1 60); do
  "$bin/temporal" operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1 && break
  sleep 0.5
done

# One attribute per command: given several --name and one --type, the CLI registers
# only the first.
while IFS='=' read -r name type; do
  if ! out=$("$bin/temporal" operator search-attribute create --address "$address" --namespace "$namespace" \
    --name "$name" --type "$type" 2>&1 </dev/null); then
    if grep -qi "already exists" <<<"$out" && ! grep -qi "different type" <<<"$out"; then
      continue
    fi
    echo "!! could not register search attribute $name ($type) on $address (namespace $namespace): $out" >&2
    exit 1
  fi
done < <("$bin/starter" search-attributes)
echo ">> search attributes registered on $address (namespace $namespace):$(printf ' %s' $("$bin/starter" search-attributes | cut -d= -f1))"
