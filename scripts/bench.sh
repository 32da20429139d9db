#!/usr/bin/env bash
# Prints the engine's benchmark figures (README.md, "Benchmarks"). Extra arguments go to the benchmark,
# e.g. --sizes 10,100 --runs 5. Starts its own throwaway PostgreSQL server.
# `scripts/bench.sh scrape [--policies 500] [--tables 20] [--scrapes 5]` prints what one /metrics scrape allocates
# instead (no database needed).
# `scripts/bench.sh insights [--policies 500] [--tables 20] [--checks 50]` prints what the insight model keeps per column.
# `scripts/bench.sh events [--policies 2000] [--per-policy 11]` prints the bytes the Event recorder keeps per remembered
# series (no database needed).
# `scripts/bench.sh startup [--runs 21]` times a whole `check` of the demo's worcester database: the published
# NativeAOT binary (the Dockerfile's publish, through check-publish.sh) against psql running the notes' check query.
# `scripts/bench.sh compare [--runs 5] [--sizes 1000,10000] [--rows 1000000]` prints the README's comparison: check and
# repair by that binary against psql running the notes' check query and fix-all-sequences.sql, on the worcester
# database, on 1,000 and 10,000 drifted tables and on a million-row table (identical copies, alternating runs, medians).
# `scripts/bench.sh profile [--sizes 1000,10000] [--parts no]` shows where the server's time goes in a check: per round
# trip, and the CPU time of the server process for each way of reading MAX and the sequences; then a whole check and a
# whole repair by the engine in process (wall, server CPU, client CPU; `--parts no`: only those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ "${1:-}" = "startup" ] || [ "${1:-}" = "compare" ]; then
  bash scripts/check-publish.sh --out artifacts/published
  set -- "$@" --binary artifacts/published/sequence-operator
fi
dotnet run --project benchmarks/SequenceOperator.Benchmarks -c Release -- "$@"
