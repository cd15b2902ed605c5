#!/usr/bin/env bash
# Benchmark of `trecrate release`: 1,000 and 10,000 small files (median of 3 runs), printing
# wall time, CPU time and peak memory. `--python` adds ro-crate-py writing the same crate;
# `--smoke` runs 100 files once, for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=target/bench
mkdir -p "$work"
python3 bench/release.py target/release/trecrate "$work" "$@"
