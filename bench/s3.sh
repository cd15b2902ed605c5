#!/usr/bin/env bash
# Benchmark of releases with S3 storage against a local moto server: upload throughput and
# peak memory for one 1 GiB file (see bench/s3.py). `--smoke` uses 64 MiB, for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=target/bench
mkdir -p "$work"
.venv/bin/python bench/s3.py target/release/trecrate "$work" "$@"
