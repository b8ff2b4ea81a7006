#!/bin/sh
# Rebuild the /sparql page's editor: src/mfbt_kg/api/static/vendor/sparql-editor.js, one file bundled from
# scripts/editor/sparql-editor.js and these packages of the npm registry (pinned), with their licences in
# sparql-editor.LICENSE.txt. Needs node and npm; works in a scratch folder and changes nothing else.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT="$HERE/src/mfbt_kg/api/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PACKAGES="codemirror@6.0.2 @codemirror/view@6.43.15 @codemirror/state@6.7.6 @codemirror/language@6.13.1
@codemirror/autocomplete@6.20.4 @codemirror/legacy-modes@6.5.5 esbuild@0.25.12"
cd "$WORK"
npm init -y >/dev/null
# shellcheck disable=SC2086
npm install --no-audit --no-fund --silent $PACKAGES
cp "$HERE/scripts/editor/sparql-editor.js" entry.js
mkdir -p "$OUT"
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2019 --legal-comments=none \
    --outfile="$OUT/sparql-editor.js"
{
  echo "sparql-editor.js bundles the following packages from the npm registry (built by scripts/build-editor.sh)."
  for dir in node_modules/codemirror node_modules/@codemirror/* node_modules/@lezer/* node_modules/@marijn/* \
             node_modules/crelt node_modules/style-mod node_modules/w3c-keyname; do
    [ -f "$dir/package.json" ] || continue
    name=$(node -p "require('./$dir/package.json').name")
    version=$(node -p "require('./$dir/package.json').version")
    licence=$(node -p "require('./$dir/package.json').license")
    echo
    echo "=== $name $version ($licence)"
    for file in "$dir"/LICENSE*; do [ -f "$file" ] && cat "$file"; done
  done
} > "$OUT/sparql-editor.LICENSE.txt"
echo "built $OUT/sparql-editor.js ($(wc -c < "$OUT/sparql-editor.js") bytes) and its licences" >&2
