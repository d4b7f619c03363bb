#!/usr/bin/env bash
# Proves the published package, not the source tree, on the Nest apps the peer range promises
# and in the starters the official Nest CLI generates (README: "Compatibility"):
#   1. builds the library and packs it (npm pack) into a temp dir;
#   2. checks the tarball: contents from `npm pack --dry-run --json` (scripts/compat/check-package.mjs),
#      exports and types in every resolution mode (attw, node10 included), package.json (publint);
#   3. checks the bundled Doppler emulator against Doppler's published OpenAPI document
#      (scripts/contract/check-emulator-contract.sh; reads the document from the npm package);
#   4. installs the tarball into two throwaway apps and runs scripts/compat/app.ts in each: a
#      Nest 12 ES module app ("type": "module") and a Nest 11 CommonJS app, each first on the
#      newest release of its major, then on the oldest one the peer range admits; on the newest,
#      also scripts/compat/identity.mjs (import and require() in one process: one copy of each class);
#      and a third app with the required peers only (scripts/compat/optional-peers.mjs): the main and
#      testing entries load and boot, by import() and by require(), without @nestjs/terminus,
#      @nestjs/config and @opentelemetry/api, while /health and /config name their missing peer;
#   5. generates four starters with the official CLI and schematics from the npm registry (Nest
#      11 and 12 `nest new`, the first Nest 11 template from @nestjs/cli 11.0.0, and Nest 12
#      `--type cjs`), runs each one's own `npm run test:e2e` untouched, installs the tarball and
#      the README's peers, writes the README's files (scripts/compat/starter.mjs), and then runs
#      the starter's own test:e2e (its spec with the README's override, the override spec, the
#      emulator spec), `npm run build`, and `node dist/main` against the emulator CLI.
# Exits non-zero on the first failure. Needs `npm ci` (tsc, attw, publint, @types/node) and
# the npm registry. Installs reuse npm's cache; generated starters (installed) are cached in
# $XDG_CACHE_HOME/nestjs-doppler-compat (~/.cache/...; NESTJS_DOPPLER_COMPAT_CACHE overrides),
# by CLI version, for 7 days.
# Measured on 2 shared cores, Node 20: about 11 minutes with empty npm and starter caches (a
# clean CI machine), about 6 with both warm.
#
# usage: bash scripts/compat-check.sh [--package-only] [--starters-only] [--fresh] [--keep]
#   --package-only   steps 1 and 2 only (npm run check:package), no install, about 30 s
#   --starters-only  steps 1, 2 and 5
#   --fresh          generate the starters again, ignoring the starter cache
#   --keep           keep the temp dir (its path is printed) to look at the apps afterwards
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

# The starters (step 4). The first Nest 11 template is @nestjs/cli 11.0.0's: it pins
# @nestjs/schematics 11.0.0 exactly. `nest new` cannot choose CommonJS for Nest 12, so that
# starter comes from the same schematics binary and collection `nest new` runs, with --type cjs
# and the options `nest new` passes.
STARTER_CACHE=${NESTJS_DOPPLER_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-doppler-compat}/starters
STARTER_MAX_AGE_DAYS=7
# What the README's Install line says for each Nest major.
README_PEERS11=(@nestjs/config@4 class-validator class-transformer)
README_PEERS12=(@nestjs/config class-validator class-transformer)

package_only=false
starters_only=false
fresh=false
keep=false
for arg in "$@"; do
  case $arg in
    --package-only) package_only=true ;;
    --starters-only) starters_only=true ;;
    --fresh) fresh=true ;;
    --keep) keep=true ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
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
# tsc): remove it, file by file, instead of wiping dist/cjs under anyone else's feet.
# (dist/esm is rewritten whole by build:lib.)
while IFS= read -r -d '' out; do
  stem=${out#dist/cjs/}
  stem=${stem%.js.map}
  stem=${stem%.d.ts}
  stem=${stem%.js}
  if [ ! -f "lib/$stem.ts" ]; then
    echo "removing stale $out (no lib/$stem.ts)"
    rm -f -- "$out"
  fi
done < <(find dist/cjs -type f \( -name '*.js' -o -name '*.d.ts' -o -name '*.js.map' \) -print0 2>/dev/null)
npm run --silent build:lib || die "npm run build:lib"

section "pack: npm pack --dry-run --json, then npm pack"
# --ignore-scripts: prepack would only rebuild what was just built.
npm pack --ignore-scripts --dry-run --json >"$WORK/pack-dry-run.json" || die "npm pack --dry-run"
npm pack --ignore-scripts --json --pack-destination "$WORK" >"$WORK/pack.json" || die "npm pack"
tarball=$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")
mkdir "$WORK/tarball"
tar -xzf "$tarball" -C "$WORK/tarball"
node scripts/compat/check-package.mjs "$WORK/pack-dry-run.json" "$WORK/tarball/package" ||
  die "package contents"

section "attw (exports and types, every resolution mode: node10, node16 from CJS and ESM, bundler)"
# No profile, no ignored rule: node10 (the first Nest 11 template) reads "typesVersions".
"$BIN/attw" "$tarball" || die "attw"

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

# import and require() of every entry point, in one process of the app: the same classes.
run_identity() {
  local dir=$1 label=$2
  cp scripts/compat/identity.mjs "$dir/identity.mjs"
  (cd "$dir" && node identity.mjs) || die "$label: import and require() do not give the same classes (above)"
}

if ! $starters_only; then

section "Nest 12, ES module app: install the tarball and the newest Nest 12"
make_app "$esm" module node20
install "$esm" "$tarball" "${NEST12_LATEST[@]}" "${PEERS[@]}" "${OPTIONAL12[@]}"
section "Nest 12, ES module app: tsc (module node20), run"
run_app "$esm" "Nest 12 ESM app" "from 'nestjs-doppler'"
run_identity "$esm" "Nest 12 ESM app"
section "Nest 12, ES module app: oldest Nest 12 (${NEST12_FLOOR[*]})"
install "$esm" "${NEST12_FLOOR[@]}"
run_app "$esm" "Nest 12 ESM app (floor)" "from 'nestjs-doppler'"

section "Nest 11, CommonJS app: install the tarball and the newest Nest 11"
make_app "$cjs" commonjs nodenext
install "$cjs" "$tarball" "${NEST11_LATEST[@]}" "${PEERS[@]}" "${OPTIONAL11[@]}"
section "Nest 11, CommonJS app: tsc (module nodenext, and node20), run"
(cd "$cjs" && "$BIN/tsc" -p . --noEmit --module node20) || die "Nest 11 CJS app: tsc --module node20"
run_app "$cjs" "Nest 11 CJS app" 'require("nestjs-doppler")'
run_identity "$cjs" "Nest 11 CJS app"
section "Nest 11, CommonJS app: oldest Nest 11 (${NEST11_FLOOR[*]})"
install "$cjs" "${NEST11_FLOOR[@]}"
run_app "$cjs" "Nest 11 CJS app (floor)" 'require("nestjs-doppler")'

section "apps proven: Nest 12 ESM and Nest 11 CommonJS, newest and oldest of each"

section "without the optional peers: the tarball, Nest 12 and the required peers only; import() and require()"
bare=$WORK/app-no-optional-peers
mkdir -p "$bare"
printf '{ "name": "app-no-optional-peers", "version": "0.0.0", "private": true, "type": "module" }\n' >"$bare/package.json"
install "$bare" "$tarball" "${NEST12_LATEST[@]}" "${PEERS[@]}"
cp scripts/compat/optional-peers.mjs "$bare/optional-peers.mjs"
for how in import require; do
  (cd "$bare" && node optional-peers.mjs "$how") || die "without the optional peers ($how): see above"
done
fi

# --- 4. The starters of the official Nest CLI -------------------------------------------------

# Never npm's idea of "the current project" from an outer `npm run` (it exports this variable):
# every npm and npx below runs for the directory it is given.
npm_at() {
  local dir=$1
  shift
  (cd "$dir" && env -u npm_config_local_prefix NO_COLOR=1 FORCE_COLOR=0 npm --prefix "$dir" "$@")
}

newest() {
  local version
  version=$(npm view "$1" version --json) || die "npm view $1 (the registry)"
  # npm lists them in publication order, not by version (the range holds no prerelease).
  node -e '
    const list = [JSON.parse(process.argv[1])].flat();
    const parts = (v) => v.split(".").map(Number);
    list.sort((a, b) => parts(a).reduce((d, n, i) => d || n - parts(b)[i], 0));
    console.log(list[list.length - 1]);' "$version"
}

# The packages npm warned about (EBADENGINE) in an install log, one line.
ebadengine() {
  { grep -A1 'EBADENGINE Unsupported engine' "$1" || true; } | { grep -o "package: '[^']*'" || true; } |
    sed "s/package: '//; s/'$//" | sort -u | paste -sd ' ' -
}

# Sets STARTER_DIR to the cached starter <id>@<version>, generated (and npm installed) first when
# missing, older than STARTER_MAX_AGE_DAYS or --fresh. The command ("$@") runs in an empty
# directory and must create ./app. Written to a temp dir, then renamed into place.
cached_starter() {
  local id=$1 version=$2
  shift 2
  STARTER_DIR=$STARTER_CACHE/$id@$version-node${NODE_MAJOR}
  if ! $fresh && [ -f "$STARTER_DIR/starter.txt" ] &&
    [ -z "$(find "$STARTER_DIR/starter.txt" -mtime +"$STARTER_MAX_AGE_DAYS")" ]; then
    echo "cached: $STARTER_DIR ($(sed -n 's/^generated: //p' "$STARTER_DIR/starter.txt"))"
    return
  fi
  mkdir -p "$STARTER_CACHE"
  local tmp
  tmp=$(mktemp -d "$STARTER_CACHE/.new-$id.XXXXXX")
  echo "generating: $*"
  (cd "$tmp" && env -u npm_config_local_prefix "$@") >"$tmp/generate.log" 2>&1 ||
    { tail -30 "$tmp/generate.log"; rm -rf "$tmp"; die "$id: $*"; }
  [ -f "$tmp/app/package.json" ] || { tail -30 "$tmp/generate.log"; rm -rf "$tmp"; die "$id: no app/package.json"; }
  echo "npm install (the starter's own dependencies)"
  npm_at "$tmp/app" install --no-audit --no-fund >"$tmp/install.log" 2>&1 ||
    { tail -30 "$tmp/install.log"; rm -rf "$tmp"; die "$id: npm install"; }
  printf 'command: %s\ngenerated: %s\nnode: %s\n' "$*" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(node --version)" >"$tmp/starter.txt"
  rm -rf "$STARTER_DIR"
  mv -T "$tmp" "$STARTER_DIR" 2>/dev/null || rm -rf "$tmp" # a concurrent run was first: use its copy
}

# A private copy of the cached starter: node_modules hard-linked (fast; nothing below writes
# into an installed package's files), everything else copied. npm rewrites
# node_modules/.package-lock.json in place, so the copy gets its own.
copy_starter() {
  local from=$1/app to=$2
  mkdir -p "$to"
  (cd "$from" && find . -mindepth 1 -maxdepth 1 ! -name node_modules -exec cp -a {} "$to/" \;)
  cp -al "$from/node_modules" "$to/node_modules" 2>/dev/null ||
    { rm -rf "$to/node_modules"; cp -a "$from/node_modules" "$to/node_modules"; }
  if [ -f "$from/node_modules/.package-lock.json" ]; then
    rm -f "$to/node_modules/.package-lock.json"
    cp "$from/node_modules/.package-lock.json" "$to/node_modules/.package-lock.json"
  fi
}

# The e2e specs the README's Jest walkthrough adds (file=test/...e2e-spec.ts), and the starter's own.
mapfile -t README_SPECS < <(grep -o 'file=test/[^ ]*\.e2e-spec\.ts' README.md | sed 's/^file=//')
[ "${#README_SPECS[@]}" -ge 2 ] || die "README.md: expected the Jest walkthrough's e2e specs (file=test/...)"

STARTER_RESULTS=()

# run_starter <id> <label> <cjs|esm> <own: pass|nest12-esm-in-jest> <peers...>
run_starter() {
  local id=$1 label=$2 style=$3 expect_own=$4
  shift 4
  local app=$WORK/starter-$id log=$WORK/starter-$id.log
  copy_starter "$STARTER_DIR" "$app"
  echo "EBADENGINE (Node $(node --version)) in the starter's own install: $(ebadengine "$STARTER_DIR/install.log")"

  section "$label: its own npm run test:e2e, untouched"
  local own=passes
  npm_at "$app" run test:e2e >"$log.own" 2>&1 || own=fails
  case "$own/$expect_own" in
    passes/*) echo "passes" ;;
    fails/pass) tail -40 "$log.own"; die "$label: the untouched starter's own test:e2e fails (above), before this package is involved" ;;
    fails/nest12-esm-in-jest)
      grep -q 'Must use import to load ES Module: .*@nestjs/' "$log.own" ||
        { tail -40 "$log.own"; die "$label: its own test:e2e fails, but not for the known reason (Jest cannot require() Nest 12)"; }
      echo "fails, as on every Node before 24.9 (Jest's loader cannot require() the ES modules of Nest 12 itself):"
      grep -m1 -o 'Must use import to load ES Module: .*' "$log.own" | sed "s#$app#<starter>#; s/^/  /"
      ;;
  esac

  section "$label: npm install <tarball> $*"
  npm_at "$app" install --no-audit --no-fund "$tarball" "$@" >"$log.install" 2>&1 ||
    { tail -30 "$log.install"; die "$label: npm install"; }
  echo "EBADENGINE in this install: $(ebadengine "$log.install")"

  section "$label: the README's files (style: $style)"
  node scripts/compat/starter.mjs files README.md "$app" "$style" || die "$label: README files"

  local ours="not run: its own tests cannot run on Node $(node --version)"
  if [ "$own" = passes ]; then
    section "$label: its own test/app.e2e-spec.ts now fails without a token (README)"
    if npm_at "$app" run test:e2e -- app.e2e-spec >"$log.no-token" 2>&1; then
      die "$label: test/app.e2e-spec.ts passed although AppModule needs DOPPLER_TOKEN"
    fi
    grep -q 'Configuration key "DOPPLER_TOKEN" does not exist' "$log.no-token" ||
      { tail -40 "$log.no-token"; die "$label: test/app.e2e-spec.ts failed, but not for the missing token"; }
    grep -m1 -o 'TypeError: Configuration key "DOPPLER_TOKEN" does not exist' "$log.no-token" | sed 's/^/  /'
    node scripts/compat/starter.mjs patch-app-spec README.md "$app" "$style" || die "$label: patch"

    section "$label: npm run test:e2e (test/app.e2e-spec.ts with the override, ${README_SPECS[*]})"
    npm_at "$app" run test:e2e >"$log.e2e" 2>&1 || { tail -60 "$log.e2e"; die "$label: npm run test:e2e"; }
    local spec
    for spec in test/app.e2e-spec.ts "${README_SPECS[@]}"; do
      grep -Eq "(PASS|✓) +$spec" "$log.e2e" || { cat "$log.e2e"; die "$label: $spec did not run and pass"; }
    done
    grep -E '^ *Tests:? ' "$log.e2e" | tail -1 | sed 's/^ */  /'
    ours="passes"
  fi

  section "$label: npm run build"
  npm_at "$app" run build >"$log.build" 2>&1 || { tail -40 "$log.build"; die "$label: npm run build"; }
  local loads='require("nestjs-doppler")'
  [ "$style" = esm ] && loads="from 'nestjs-doppler'"
  grep -qF "$loads" "$app/dist/app.module.js" || die "$label: dist/app.module.js does not load nestjs-doppler with $loads"

  section "$label: node dist/main against the emulator CLI (nestjs-doppler-emulator)"
  node scripts/compat/starter.mjs boot "$app" || die "$label: the built app against the emulator CLI"
  STARTER_RESULTS+=("$label | own test:e2e untouched: $own | with this package: $ours | build, boot: ok")
}

NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')

section "starters: newest releases of the CLI and schematics (npm view)"
CLI11=$(newest '@nestjs/cli@^11')
CLI12=$(newest '@nestjs/cli@^12')
SCHEMATICS11=$(newest '@nestjs/schematics@^11') # what `nest new` of CLI 11 and 12 runs (their ranges)
SCHEMATICS12=$(newest '@nestjs/schematics@^12')
SCHEMATICS_CLI12=$(npm view "@nestjs/cli@$CLI12" 'dependencies.@angular-devkit/schematics-cli') ||
  die "npm view @nestjs/cli@$CLI12"
echo "@nestjs/cli $CLI11 (@nestjs/schematics $SCHEMATICS11), $CLI12 (@nestjs/schematics $SCHEMATICS12), 11.0.0" \
  "(@nestjs/schematics 11.0.0); @angular-devkit/schematics-cli $SCHEMATICS_CLI12"

section "starter: Nest 11, @nestjs/cli@$CLI11 new (CommonJS, Jest 30 + ts-jest)"
cached_starter nest11-cli "$CLI11+schematics@$SCHEMATICS11" npx -y "@nestjs/cli@$CLI11" new app --package-manager npm --skip-git --skip-install
run_starter nest11-cli "Nest 11 starter" cjs pass "${README_PEERS11[@]}"

section "starter: Nest 11.0's first template, @nestjs/cli@11.0.0 new (module commonjs, node10 resolution, Jest 29)"
cached_starter nest11.0-cli 11.0.0 npx -y @nestjs/cli@11.0.0 new app --package-manager npm --skip-git --skip-install
run_starter nest11.0-cli "Nest 11.0 template" cjs pass "${README_PEERS11[@]}"

section "starter: Nest 12, @nestjs/cli@$CLI12 new --no-observe (ES modules, Vitest)"
cached_starter nest12-cli "$CLI12+schematics@$SCHEMATICS12" npx -y "@nestjs/cli@$CLI12" new app --package-manager npm --skip-git --skip-install --no-observe
run_starter nest12-cli "Nest 12 starter" esm pass "${README_PEERS12[@]}"

section "starter: Nest 12 CommonJS, @nestjs/schematics@$SCHEMATICS12 application --type=cjs (Jest 30)"
cached_starter nest12-cjs-schematics "$SCHEMATICS12" npx -y -p "@angular-devkit/schematics-cli@$SCHEMATICS_CLI12" \
  -p "@nestjs/schematics@$SCHEMATICS12" schematics @nestjs/schematics:application --name=app --type=cjs \
  --package-manager=npm --language=ts --strict=true --skip-git=true --format=false
run_starter nest12-cjs-schematics "Nest 12 CommonJS starter" cjs nest12-esm-in-jest "${README_PEERS12[@]}"

section "compatibility proven"
printf '  %s\n' "${STARTER_RESULTS[@]}"
