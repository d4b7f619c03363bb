#!/usr/bin/env bash
# Proves the published package, not the source tree, on both kinds of Nest app the peer range
# promises (README: "Compatibility"):
#   1. builds the library and packs it (npm pack) into a temp dir;
#   2. checks the tarball: contents from `npm pack --dry-run --json` (scripts/compat/check-package.mjs),
#      exports and types in every resolution mode (attw), package.json (publint);
#   3. checks the bundled Doppler emulator against Doppler's published OpenAPI document
#      (scripts/contract/check-emulator-contract.sh; reads the document from the npm package);
#   4. installs the tarball into two throwaway apps and runs scripts/compat/app.ts in each:
#      a Nest 12 ES module app ("type": "module") and a Nest 11 CommonJS app (require() of this
#      ESM-only package, Node 20.19+), each first on the newest release of its major, then on
#      the oldest one the peer range admits.
# Exits non-zero on the first failure. Needs `npm ci` (tsc, attw, publint, @types/node) and
# the npm registry; installs reuse npm's cache. About 1.5 minutes (2 minutes with a cold cache).
#
# usage: bash scripts/compat-check.sh [--package-only] [--keep]
#   --package-only  steps 1 and 2 only (npm run check:package), no install, about 15 s
#   --keep          keep the temp dir (its path is printed) to look at the apps afterwards
set -euo pipefail

# Nest releases the apps run on: the newest of each major, then the floor of the peer range.
# @nestjs/core 12.0.0 was published with peer @nestjs/common@^11 (it cannot be installed with
# common 12), so the Nest 12 floor pairs common 12.0.0 (what this library imports) with core 12.0.1.
NEST12_LATEST=(@nestjs/common@^12 @nestjs/core@^12)
NEST12_FLOOR=(@nestjs/common@12.0.0 @nestjs/core@12.0.1)
NEST11_LATEST=(@nestjs/common@^11 @nestjs/core@^11)
NEST11_FLOOR=(@nestjs/common@11.0.0 @nestjs/core@11.0.0)
# The other peers, at the newest versions their peer ranges allow.
PEERS=(reflect-metadata rxjs class-validator class-transformer)
# The optional peers (for nestjs-doppler/config and /health), in the line each Nest major uses:
# @nestjs/config went from 4.x (Nest 11) to 12.x (Nest 12). Every exported subpath is loaded.
OPTIONAL12=(@nestjs/config@^12 @nestjs/terminus@^12)
OPTIONAL11=(@nestjs/config@^4 @nestjs/terminus@^11)

package_only=false
keep=false
for arg in "$@"; do
  case $arg in
    --package-only) package_only=true ;;
    --keep) keep=true ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/node_modules/.bin
cd "$ROOT"

started=$SECONDS
section() { printf '\n-- %s [%ss]\n' "$*" "$((SECONDS - started))"; }
die() { printf '\ncompat-check FAILED: %s\n' "$*" >&2; exit 1; }

node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "Node $(node --version) is older than 20.19 (require() of ES modules needs 20.19)"
for tool in tsc attw publint; do [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing: run npm ci first"; done
[ -f "$ROOT/node_modules/@types/node/package.json" ] || die "@types/node is missing: run npm ci first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestjs-doppler-compat.XXXXXX")
cleanup() { if $keep; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

section "build the library (npm run build:lib)"
# Output whose source was renamed or deleted would still be packed (dist/ is not cleaned by
# tsc): remove it, file by file, instead of wiping dist/lib under anyone else's feet.
while IFS= read -r -d '' out; do
  stem=${out#dist/lib/}
  stem=${stem%.js.map}
  stem=${stem%.d.ts}
  stem=${stem%.js}
  if [ ! -f "lib/$stem.ts" ]; then
    echo "removing stale $out (no lib/$stem.ts)"
    rm -f -- "$out"
  fi
done < <(find dist/lib -type f \( -name '*.js' -o -name '*.d.ts' -o -name '*.js.map' \) -print0 2>/dev/null)
npm run --silent build:lib || die "npm run build:lib"

section "pack: npm pack --dry-run --json, then npm pack"
npm pack --dry-run --json >"$WORK/pack-dry-run.json" || die "npm pack --dry-run"
npm pack --json --pack-destination "$WORK" >"$WORK/pack.json" || die "npm pack"
tarball=$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")
mkdir "$WORK/tarball"
tar -xzf "$tarball" -C "$WORK/tarball"
node scripts/compat/check-package.mjs "$WORK/pack-dry-run.json" "$WORK/tarball/package" ||
  die "package contents"

section "attw (exports and types, every resolution mode)"
# Profile node16: node10 resolution ignores "exports" (nestjs-doppler/testing cannot resolve
# there) and Node 20.19+ never uses it. cjs-resolves-to-esm is ignored because the package is
# ESM-only on purpose: attw's bundled TypeScript (5.6) models CommonJS without require(esm), so
# it flags every require(). The "node16 (from CJS)" column is still checked (types must resolve
# for require), and the Nest 11 CommonJS app below proves require() at runtime and in tsc.
"$BIN/attw" "$tarball" --profile node16 --ignore-rules cjs-resolves-to-esm || die "attw"

section "publint"
"$BIN/publint" run "$tarball" --strict || die "publint"

if $package_only; then
  section "package checks passed"
  exit 0
fi

section "emulator against Doppler's OpenAPI document (scripts/contract)"
bash scripts/contract/check-emulator-contract.sh || die "the emulator drifted from Doppler's OpenAPI document (above)"

# One throwaway app: package.json (ESM or CommonJS), a tsconfig, scripts/compat/app.ts as
# src/main.ts. Type-checked with the repo's tsc against the installed tarball and Nest's own
# types (skipLibCheck off, so the library's .d.ts are checked against that Nest major too).
make_app() {
  local dir=$1 type=$2 module=$3
  mkdir -p "$dir/src"
  cp scripts/compat/app.ts "$dir/src/main.ts"
  if [ "$type" = module ]; then
    printf '{ "name": "%s", "version": "0.0.0", "private": true, "type": "module" }\n' "${dir##*/}" >"$dir/package.json"
  else
    printf '{ "name": "%s", "version": "0.0.0", "private": true }\n' "${dir##*/}" >"$dir/package.json"
  fi
  cat >"$dir/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "module": "$module",
    "target": "ES2022",
    "strict": true,
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "skipLibCheck": false,
    "rootDir": "src",
    "outDir": "dist",
    "types": ["node"],
    "typeRoots": ["$ROOT/node_modules/@types"]
  },
  "include": ["src"]
}
EOF
}

# --prefix: under `npm run`, npm exports npm_config_local_prefix=<this repo>; never install here.
install() {
  local dir=$1
  shift
  (cd "$dir" && npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts \
    --strict-peer-deps --no-package-lock "$@") || die "npm install in ${dir##*/}: $*"
}

# Type-checks and compiles the app, checks how it loads nestjs-doppler, runs it.
run_app() {
  local dir=$1 label=$2 import_pattern=$3
  (cd "$dir" && rm -rf dist && "$BIN/tsc" -p .) || die "$label: tsc"
  grep -q "$import_pattern" "$dir/dist/main.js" || die "$label: dist/main.js does not load nestjs-doppler with $import_pattern"
  local runner=()
  command -v timeout >/dev/null && runner=(timeout 120)
  (cd "$dir" && ${runner[@]+"${runner[@]}"} node dist/main.js) || die "$label: the app failed (above)"
}

esm=$WORK/app-nest12-esm
cjs=$WORK/app-nest11-cjs

section "Nest 12, ES module app: install the tarball and the newest Nest 12"
make_app "$esm" module node20
install "$esm" "$tarball" "${NEST12_LATEST[@]}" "${PEERS[@]}" "${OPTIONAL12[@]}"
section "Nest 12, ES module app: tsc (module node20), run"
run_app "$esm" "Nest 12 ESM app" "from 'nestjs-doppler'"
section "Nest 12, ES module app: oldest Nest 12 (${NEST12_FLOOR[*]})"
install "$esm" "${NEST12_FLOOR[@]}"
run_app "$esm" "Nest 12 ESM app (floor)" "from 'nestjs-doppler'"

section "Nest 11, CommonJS app: install the tarball and the newest Nest 11"
make_app "$cjs" commonjs nodenext
install "$cjs" "$tarball" "${NEST11_LATEST[@]}" "${PEERS[@]}" "${OPTIONAL11[@]}"
section "Nest 11, CommonJS app: tsc (module nodenext, and node20), run"
(cd "$cjs" && "$BIN/tsc" -p . --noEmit --module node20) || die "Nest 11 CJS app: tsc --module node20"
run_app "$cjs" "Nest 11 CJS app" 'require("nestjs-doppler")'
section "Nest 11, CommonJS app: oldest Nest 11 (${NEST11_FLOOR[*]})"
install "$cjs" "${NEST11_FLOOR[@]}"
run_app "$cjs" "Nest 11 CJS app (floor)" 'require("nestjs-doppler")'

section "compatibility proven: Nest 12 ESM and Nest 11 CommonJS, newest and oldest of each"
