#!/usr/bin/env bash
# Benchmark of `trecrate validate`: crates of 1,000 and 10,000 files, with checksums and
# metadata-only (median of 3 runs); `--python` adds the Python reference validator on the
# 1,000-file crate; `--smoke` runs 100 files once, for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=target/bench
mkdir -p "$work"
python3 bench/validate.py target/release/trecrate "$work" "$@"
