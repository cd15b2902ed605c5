#!/usr/bin/env bash
# trecrate against the Python tools and the machine's limits, in one run (see bench/compare.py).
# `--smoke`: 100 files once (CI). `--large`: adds 100,000 files and five 1 GB files (about
# 12 GB of disk and 20 minutes more).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup >/dev/null
if ! command -v zip >/dev/null || ! command -v openssl >/dev/null; then
    if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq zip openssl >/dev/null
fi
cargo build --release --quiet
work=target/bench
mkdir -p "$work"
python3 bench/compare.py "$PWD/target/release/trecrate" "$work" "$@"
