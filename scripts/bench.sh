#!/usr/bin/env bash
# Prints the engine's benchmark figures (README.md, "Benchmarks"). Extra arguments go to the benchmark,
# e.g. --sizes 10,100 --runs 5. Starts its own throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- "$@"
