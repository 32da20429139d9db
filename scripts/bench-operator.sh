#!/usr/bin/env bash
# Prints the operator's scale figures (README.md, "Benchmarks"; tracker issue 4): the published operator runs as its
# own process against the API-server double, with 50, 200 and 500 policies, each on its own database of 20 drifted
# tables on a throwaway PostgreSQL server started for the run. Extra arguments go to the benchmark, e.g.
#   scripts/bench-operator.sh --quick                      # smoke test: 10 policies, 20s interval
#   scripts/bench-operator.sh --policies 500 --interval 5m --intervals 1
# Options: --policies N,N,...  --tables N  --interval 60s  --intervals N  --concurrency N  --max-connections N
#          --first-round-timeout 10m  --logs DIR (keep the operator's logs)  --binary PATH (run that binary instead of the image's, published below)
#          --scrape-every 30s (scrape /metrics during the window as Prometheus would, the default; 0: once, at the end)
#          --env KEY=VALUE (environment for the operator process, over the image's DOTNET_* settings; repeatable)
# Exit code 3: a target was missed (the figures are printed anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The binary the image ships: the Dockerfile's NativeAOT publish, via check-publish.sh (which also starts it). The
# benchmark runs it with the Dockerfile's DOTNET_* settings, as the container would.
bash scripts/check-publish.sh --out artifacts/published
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- operator --binary artifacts/published/sequence-operator "$@"
