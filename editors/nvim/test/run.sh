#!/usr/bin/env bash
# Headless Neovim test of the ginhot plugin against the real ginhotd, on a
# copy of editors/testdata/app. Builds the daemon unless GINHOTD_BIN is set.
# Works with Neovim 0.7 (Debian bookworm) and later. Exit 0 on pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nvimdir=$(dirname "$here")
root=$(cd "$nvimdir/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "${GINHOTD_BIN:-}" ]; then
  (cd "$root" && go build -o "$tmp/ginhotd" ./cmd/ginhotd)
  GINHOTD_BIN=$tmp/ginhotd
fi
cp -r "$root/editors/testdata/app" "$tmp/app"
# Keep the Go build cache (or the first build recompiles the standard
# library); everything else the daemon and Neovim write goes to $tmp.
export GOCACHE=${GOCACHE:-$(go env GOCACHE)} GOPROXY=off
export XDG_CONFIG_HOME=$tmp/xdg/config XDG_DATA_HOME=$tmp/xdg/data XDG_CACHE_HOME=$tmp/xdg/cache XDG_STATE_HOME=$tmp/xdg/state
export GINHOTD_BIN GINHOT_APP=$tmp/app
# The help file must produce tags without errors (duplicate or missing tags).
cp -r "$nvimdir/doc" "$tmp/doc"
nvim --headless -u NONE -i NONE -n -c "try | helptags $tmp/doc | catch | echo v:exception | cquit 1 | endtry" -c 'qall!' </dev/null
grep -q '^:GinHotExplain	' "$tmp/doc/tags" || { echo "doc/ginhot.txt: no :GinHotExplain tag"; exit 1; }
# The commands, states and labels against docs/contract.json (no daemon needed).
timeout 60 nvim --headless -u NONE -i NONE -n --cmd "set rtp^=$nvimdir" -c "luafile $here/contract_test.lua" -c 'cquit 2' </dev/null
# The debugger follower against a fake nvim-dap (no daemon needed).
timeout 60 nvim --headless -u NONE -i NONE -n --cmd "set rtp^=$nvimdir" -c "luafile $here/debug_test.lua" -c 'cquit 2' </dev/null
# -u NONE: no user config or plugins; -i NONE: no shada; -n: no swap file.
# The trailing 'cquit 2' turns an error in the script itself into exit 2.
timeout 600 nvim --headless -u NONE -i NONE -n --cmd "set rtp^=$nvimdir" \
  -c 'runtime plugin/ginhot.lua' -c "luafile $here/ginhot_test.lua" -c 'cquit 2' </dev/null
