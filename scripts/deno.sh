#!/usr/bin/env sh
# Runs Deno for the project's scripts. Uses a `deno` already on PATH (the usual install), else the
# npm package `deno` installed under .tools/deno — never into the project's own node_modules, where
# `deno task` would mistake node_modules/.bin/deno for a JavaScript file.
set -eu
DENO_VERSION="${DENO_VERSION:-2.9.6}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if command -v deno >/dev/null 2>&1 && ! command -v deno | grep -q '/node_modules/.bin/'; then
  exec deno "$@"
fi
bin="$root/.tools/deno/node_modules/deno/deno"
if [ ! -x "$bin" ]; then
  echo "deno not found on PATH; installing the npm package deno@$DENO_VERSION into .tools/deno" >&2
  npm install --prefix "$root/.tools/deno" --no-save --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" >&2
fi
exec "$bin" "$@"
