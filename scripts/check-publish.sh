#!/usr/bin/env bash
# The container image's build step, without a Docker engine: runs the Dockerfile's own `RUN dotnet ...` commands
# for this machine's architecture (the publish output goes to a temporary folder instead of /app), which make the
# NativeAOT executable (clang and zlib1g-dev needed: scripts/bootstrap.sh installs them), then starts that executable
# alone in a folder, as the image holds it: --version must name the version that Directory.Build.props and the Helm
# chart's appVersion name, `crd` must print the committed CRD (so trimming kept what the generator reads), and, with the
# image's DOTNET_* settings (the benchmark project's `smoke`), `check` against the demo's worcester database on a
# throwaway PostgreSQL must find its sequences behind and `run` against the API-server double must answer /readyz,
# write a policy's status, export it on /metrics and stop on SIGTERM. With --out DIR the publish output stays in DIR
# (the benchmarks run the binary from there). Prints how long the publish took. Fails loudly on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."

temporary=()
trap 'rm -rf "${temporary[@]}"' EXIT
if [ "${1:-}" = "--out" ] && [ -n "${2:-}" ]; then
  out="$2"
  rm -rf "$out" && mkdir -p "$out"
else
  out="$(mktemp -d)"
  temporary+=("$out")
fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "check-publish: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac

fail() { echo "check-publish: FAILED: $*" >&2; exit 1; }

command -v clang >/dev/null 2>&1 || fail "NativeAOT links with clang, which is not on PATH: run scripts/bootstrap.sh"

mapfile -t commands < <(sed -n 's/^RUN \(dotnet .*\)$/\1/p' Dockerfile)
[ "${#commands[@]}" -gt 0 ] || fail "no 'RUN dotnet ...' line in the Dockerfile"
printf '%s\n' "${commands[@]}" | grep -q -- '-o /app$' || fail "the Dockerfile does not publish to /app"

started=$SECONDS
for command in "${commands[@]}"; do
  command="${command/% -o \/app/ -o $out}"
  command="${command//\$TARGETARCH/$arch}"
  echo "check-publish: $command" >&2
  # shellcheck disable=SC2086 # the Dockerfile's command line, word-split as the shell in the image would
  $command --nologo -v quiet >&2 || fail "'$command' failed"
done
echo "check-publish: the Dockerfile's restore and NativeAOT publish took $((SECONDS - started)) s" >&2

entrypoint="$(sed -n 's/^ENTRYPOINT \["\([^"]*\)".*$/\1/p' Dockerfile)"
[ -n "$entrypoint" ] || fail "no exec-form ENTRYPOINT in the Dockerfile"
binary="$out/$entrypoint"
[ -x "$binary" ] || fail "the publish did not produce the ENTRYPOINT binary '$entrypoint'"
grep -qx "COPY --from=build /app/$entrypoint /app/$entrypoint" Dockerfile || fail "the Dockerfile does not copy /app/$entrypoint into the image"
# The image holds only the executable: run it from a folder that holds nothing else.
image="$(mktemp -d)"
temporary+=("$image")
cp "$binary" "$image/"
binary="$image/$entrypoint"

expected="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)"
app_version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' charts/sequence-operator/Chart.yaml)"
[ "$expected" = "$app_version" ] || fail "Directory.Build.props Version '$expected' != Chart.yaml appVersion '$app_version'"

status=0
printed="$(timeout 60 "$binary" --version 2>&1)" || status=$?
[ "$status" -eq 0 ] || fail "'$entrypoint --version' exited $status, printing: $printed"
[ "$printed" = "sequence-operator $expected" ] || fail "'$entrypoint --version' printed '$printed', expected 'sequence-operator $expected'"
crd="$(mktemp)"
timeout 60 "$binary" crd > "$crd" || fail "'$entrypoint crd' failed"
cmp -s "$crd" config/crd/sequences.cityforge.io_sequencesyncpolicies.yaml || { rm -f "$crd"; fail "the published '$entrypoint crd' differs from config/crd/"; }
rm -f "$crd"
echo "check-publish: the published $entrypoint starts, prints '$printed' and the committed CRD" >&2

# check and run, against a throwaway PostgreSQL and the API-server double (the benchmark project hosts both).
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- smoke --binary "$binary" >&2 ||
  fail "the published $entrypoint failed its check/run smoke test (above)"
echo "check-publish: ok" >&2
