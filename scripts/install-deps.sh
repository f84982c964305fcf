#!/usr/bin/env bash
# Installs every Debian package and npm package that bookchat's build, tests and benchmarks need.
# Idempotent: skips what is already there; uses sudo only when not root. Called by `make run` / `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: build tools, C libraries (see CONVENTIONS.md), test and bench tools (systemd for
# systemd-analyze, which checks the unit of `make install`).
PKGS=(build-essential cmake pkg-config clang clang-format llvm
  libmicrohttpd-dev libjansson-dev liblmdb-dev lmdb-utils libcurl4-openssl-dev libssl-dev
  libsodium-dev libjwt-dev libicu-dev libcmocka-dev libical-dev libcbor-dev libexpat1-dev libjemalloc-dev python3-icalendar
  nodejs npm chromium wrk nginx-light prometheus curl ca-certificates git
  systemd zip)

missing=()
for p in "${PKGS[@]}"; do
  # nodejs/npm may come from another repository (e.g. nodesource bundles npm): accept the commands.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    nginx-light) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The prometheus package starts a daemon on :9090; we only need promtool.
  if printf '%s\n' "${missing[@]}" | grep -qx prometheus; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || $SUDO service prometheus stop >/dev/null 2>&1 || true
  fi
  if printf '%s\n' "${missing[@]}" | grep -qx nginx-light; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
  fi
fi

# npm packages (test harness, web tooling): only when package-lock.json changed since the last install.
if [ -f package-lock.json ]; then
  stamp=node_modules/.bookchat-lock-stamp
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    echo "install-deps: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
fi
