#!/usr/bin/env bash
# Prints the operator's scale figures (README.md, "Benchmarks"; tracker issue 4): the published operator runs as its
# own process against the API-server double, with 50, 200 and 500 policies, each on its own database of 20 drifted
# tables on a throwaway PostgreSQL server started for the run. Extra arguments go to the benchmark, e.g.
#   scripts/bench-operator.sh --quick                      # smoke test: 10 policies, 20s interval
#   scripts/bench-operator.sh --policies 500 --interval 5m --intervals 1
# Options: --policies N,N,...  --tables N  --interval 60s  --intervals N  --concurrency N  --max-connections N
#          --first-round-timeout 10m  --logs DIR (keep the operator's logs)  --binary PATH (run that binary instead of the image's, published below)
#          --scrape-every 30s (scrape /metrics during the window as Prometheus would, the default; 0: once, at the end)
#          --env KEY=VALUE (extra environment for the operator process, after the image's DOTNET_* settings; repeatable)
# Exit code 3: a target was missed (the figures are printed anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The binary the image ships (the Dockerfile's publish, via check-publish.sh), run with the image's DOTNET_* settings.
bash scripts/check-publish.sh --out artifacts/bench-operator
image_env=()
while read -r setting; do
  image_env+=(--env "$setting")
done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile | sed -n 's/^ENV //p' | tr -s ' ' '\n' | grep -E '^DOTNET_[A-Za-z0-9_]+=' | grep -v '^DOTNET_CLI_')
echo "operator environment (from the Dockerfile): ${image_env[*]:-none}" >&2
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- operator --binary artifacts/bench-operator/sequence-operator "${image_env[@]}" "$@"
