#!/usr/bin/env bash
# The container image's build step, without a Docker engine: runs the Dockerfile's own `RUN dotnet ...` commands
# for this machine's architecture (the publish output goes to a temporary folder instead of /app), then starts the
# published (self-contained, trimmed) binary: --version must name the version that Directory.Build.props and the
# Helm chart's appVersion name, and `crd` must print the committed CRD (so trimming kept what the generator reads).
# With --out DIR the binary stays in DIR (the operator benchmark runs it). Fails loudly on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--out" ] && [ -n "${2:-}" ]; then
  out="$2"
  rm -rf "$out" && mkdir -p "$out"
else
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "check-publish: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac

fail() { echo "check-publish: FAILED: $*" >&2; exit 1; }

mapfile -t commands < <(sed -n 's/^RUN \(dotnet .*\)$/\1/p' Dockerfile)
[ "${#commands[@]}" -gt 0 ] || fail "no 'RUN dotnet ...' line in the Dockerfile"
printf '%s\n' "${commands[@]}" | grep -q -- '-o /app$' || fail "the Dockerfile does not publish to /app"

for command in "${commands[@]}"; do
  command="${command/% -o \/app/ -o $out}"
  command="${command//\$TARGETARCH/$arch}"
  echo "check-publish: $command" >&2
  # shellcheck disable=SC2086 # the Dockerfile's command line, word-split as the shell in the image would
  $command --nologo -v quiet >&2 || fail "'$command' failed"
done

entrypoint="$(sed -n 's/^ENTRYPOINT \["\([^"]*\)".*$/\1/p' Dockerfile)"
[ -n "$entrypoint" ] || fail "no exec-form ENTRYPOINT in the Dockerfile"
binary="$out/$entrypoint"
[ -x "$binary" ] || fail "the publish did not produce the ENTRYPOINT binary '$entrypoint'"

expected="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)"
app_version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' charts/sequence-operator/Chart.yaml)"
[ "$expected" = "$app_version" ] || fail "Directory.Build.props Version '$expected' != Chart.yaml appVersion '$app_version'"

status=0
printed="$(DOTNET_CLI_TELEMETRY_OPTOUT=1 timeout 60 "$binary" --version 2>&1)" || status=$?
[ "$status" -eq 0 ] || fail "'$entrypoint --version' exited $status, printing: $printed"
[ "$printed" = "sequence-operator $expected" ] || fail "'$entrypoint --version' printed '$printed', expected 'sequence-operator $expected'"
crd="$(mktemp)"
DOTNET_CLI_TELEMETRY_OPTOUT=1 timeout 60 "$binary" crd > "$crd" || fail "'$entrypoint crd' failed"
cmp -s "$crd" config/crd/sequences.cityforge.io_sequencesyncpolicies.yaml || { rm -f "$crd"; fail "the published '$entrypoint crd' differs from config/crd/"; }
rm -f "$crd"
echo "check-publish: ok: the published $entrypoint starts, prints '$printed' and the committed CRD" >&2
