#!/usr/bin/env bash
# Benchmark of the archive: 1,000 releases of 50 files ingested, then every built-in query
# timed. `--smoke` does 20 releases, for CI; `--releases N` sets the count.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=target/bench
mkdir -p "$work"
python3 bench/archive.py "$PWD/target/release/trecrate" "$work" "$@"
