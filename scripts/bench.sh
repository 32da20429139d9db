#!/usr/bin/env bash
# Prints the engine's benchmark figures (README.md, "Benchmarks"). Extra arguments go to the benchmark,
# e.g. --sizes 10,100 --runs 5. Starts its own throwaway PostgreSQL server.
# `scripts/bench.sh scrape [--policies 500] [--tables 20] [--scrapes 5]` prints what one /metrics scrape allocates
# instead (no database needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- "$@"
