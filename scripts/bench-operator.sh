#!/usr/bin/env bash
# Prints the operator's scale figures (README.md, "Benchmarks"; tracker issue 4): the published operator runs as its
# own process against the API-server double, with 50, 200 and 500 policies, each on its own database of 20 drifted
# tables on a throwaway PostgreSQL server started for the run. Extra arguments go to the benchmark, e.g.
#   scripts/bench-operator.sh --quick                      # smoke test: 10 policies, 20s interval
#   scripts/bench-operator.sh --policies 500 --interval 5m --intervals 1
# Options: --policies N,N,...  --tables N  --interval 60s  --intervals N  --concurrency N  --max-connections N
#          --first-round-timeout 10m  --logs DIR (keep the operator's logs)  --binary PATH (skip the publish below)
#          --scrape-every 30s (scrape /metrics during the window as Prometheus would, the default; 0: once, at the end)
#          --env KEY=VALUE (extra environment for the operator process, e.g. a runtime knob; repeatable)
# Exit code 3: a target was missed (the figures are printed anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
dotnet publish src/SequenceOperator/SequenceOperator.csproj -c Release -o artifacts/bench-operator --verbosity quiet --nologo
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- operator --binary artifacts/bench-operator/sequence-operator "$@"
