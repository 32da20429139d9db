#!/usr/bin/env bash
# Prints the engine's benchmark figures (README.md, "Benchmarks"). Extra arguments go to the benchmark,
# e.g. --sizes 10,100 --runs 5. Starts its own throwaway PostgreSQL server.
# `scripts/bench.sh scrape [--policies 500] [--tables 20] [--scrapes 5]` prints what one /metrics scrape allocates
# instead (no database needed).
# `scripts/bench.sh startup [--runs 21]` times a whole `check` of the demo's worcester database: the published
# NativeAOT binary (the Dockerfile's publish, through check-publish.sh) against psql running the notes' check query.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ "${1:-}" = "startup" ]; then
  bash scripts/check-publish.sh --out artifacts/published
  set -- "$@" --binary artifacts/published/sequence-operator
fi
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- "$@"
