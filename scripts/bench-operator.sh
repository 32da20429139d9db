#!/usr/bin/env bash
# Prints the operator's scale figures (README.md, "Benchmarks"; tracker issues 4 and 11): the published operator runs
# as its own process against the API-server double, by default in the two configurations of the targets: 500 policies
# with a 1-minute interval, and 2,000 with a 5-minute interval (every policy must have its first status within it),
# each policy on its own database of 20 drifted tables (so every per-sequence series is exported), on a throwaway
# PostgreSQL server started for the run; /metrics is scraped every 30 s with gzip. Per size it prints the time to
# every policy's first status, the CPU, the peak RSS (targets: 64 MB at 500 policies, 128 MB at 2,000) and where the
# resident memory is (the executable, the libraries, the GC's heap, malloc), and the connections per database
# (target: at most 2). A full run takes about 20 minutes, most of it creating the 2,000 databases (a server of one's
# own, named by SEQUENCE_OPERATOR_TEST_POSTGRES, keeps them between runs). Extra arguments go to the benchmark, e.g.
#   scripts/bench-operator.sh --quick                      # smoke test: 10 policies, 20s interval
#   scripts/bench-operator.sh --policies 500@5m --intervals 1
# Options: --policies N[@interval],...  --tables N  --interval 60s (for sizes without @)  --intervals N (the steady-state
#          window, in intervals)  --concurrency N  --max-connections N  --first-round-timeout 10m  --logs DIR (keep the
#          operator's logs)  --binary PATH (run that binary instead of the image's, published below)
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
