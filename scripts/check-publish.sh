#!/usr/bin/env bash
# The container image's build step, without a Docker engine: runs the Dockerfile's own `RUN dotnet ...` commands
# (the publish output goes to a temporary folder instead of /app), then starts the published binary with
# --version and checks it names the version that Directory.Build.props and the Helm chart's appVersion name.
# Fails loudly when the publish fails or the binary cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

fail() { echo "check-publish: FAILED: $*" >&2; exit 1; }

mapfile -t commands < <(sed -n 's/^RUN \(dotnet .*\)$/\1/p' Dockerfile)
[ "${#commands[@]}" -gt 0 ] || fail "no 'RUN dotnet ...' line in the Dockerfile"
printf '%s\n' "${commands[@]}" | grep -q -- '-o /app$' || fail "the Dockerfile does not publish to /app"

for command in "${commands[@]}"; do
  command="${command/% -o \/app/ -o $out}"
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
echo "check-publish: ok: the published $entrypoint starts and prints '$printed'" >&2
