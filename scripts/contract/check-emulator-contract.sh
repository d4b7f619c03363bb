#!/usr/bin/env bash
# Checks every endpoint the bundled Doppler emulator serves against Doppler's published OpenAPI
# document, over HTTP (lib/testing/emulator-contract.spec.ts, with scripts/contract/*.ts).
# The document is read from the @dopplerhq/mcp-server npm package (pinned version and integrity):
# the first run fetches it with `npm pack` into node_modules/.cache/nestjs-doppler-contract, later
# runs read it from there without the network. Unlike `npm test`, which skips the check when the
# document cannot be had, this fails then, so CI (scripts/compat-check.sh) catches any drift.
#
# usage: bash scripts/contract/check-emulator-contract.sh
#   DOPPLER_OPENAPI_DOCUMENT=<file>   read this doppler-openapi.json instead (no registry needed)
#   DOPPLER_OPENAPI_CACHE_DIR=<dir>   keep the tarball there instead
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ -x node_modules/.bin/vitest ] || { echo "node_modules/.bin/vitest is missing: run npm ci first" >&2; exit 2; }
DOPPLER_CONTRACT_REQUIRED=1 exec node_modules/.bin/vitest run --project suite lib/testing/emulator-contract.spec.ts
