"""Benchmark of releases with S3 storage, against a local moto server (in memory): one file of
SIZE (default 1 GiB) of random bytes, stored in the zip, released

  - from a local quarantine to a release bucket (the multipart upload of the zip),
  - from a quarantine bucket to a release bucket (fetch, check, zip, upload),
  - from a local quarantine to a local directory, for comparison,

printing wall time, throughput (zip bytes / wall time), CPU time and peak memory of each, and
the same server's own limit measured in the same run: boto3 uploading the same file.
Run with the venv's Python (boto3 comes with moto).

Usage: s3.py TRECRATE WORKDIR [--smoke] [--size-mb N]
"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig

from measure import timed

MB = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(work):
    port = free_port()
    log = open(work / "moto.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=log)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                sys.exit("moto_server did not start: see " + str(work / "moto.log"))
            time.sleep(0.05)


def export(work, size):
    """An export of one approved file of `size` random bytes."""
    root = work / f"export-s3-{size // MB}mb"
    if (root / "release.json").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rel = "big/v1/payload.bin"
    path = root / "quarantine" / rel
    path.parent.mkdir(parents=True)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(size // MB):
            chunk = os.urandom(MB)
            f.write(chunk)
            digest.update(chunk)
    template = json.loads((Path(__file__).parent.parent / "examples/release-AR-2025-0042/release.json").read_text())
    template["request"]["id"] = "AR-BENCH-S3"
    template["objects"] = [{"id": "big", "versions": [{
        "version": 1, "state": "approved", "path": rel, "name": "Large output",
        "description": "Synthetic large file.", "media_type": "application/octet-stream",
        "sha256": digest.hexdigest(), "size": size, "statbarn": "other",
        "researcher_justification": "Benchmark.", "suppression_notes": ""}]}]
    (root / "release.json").write_text(json.dumps(template))
    return root


def main():
    trecrate, work = sys.argv[1], Path(sys.argv[2])
    smoke = "--smoke" in sys.argv
    size = 64 * MB if smoke else 1024 * MB
    if "--size-mb" in sys.argv:
        size = int(sys.argv[sys.argv.index("--size-mb") + 1]) * MB
    work.mkdir(parents=True, exist_ok=True)
    root = export(work, size)
    server, endpoint = start_moto(work)
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"}
    os.environ.update(env)
    try:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="quarantine-bucket")
        s3.create_bucket(Bucket="release-bucket")
        s3.create_bucket(Bucket="boto3-bucket")
        payload = root / "quarantine" / "big/v1/payload.bin"
        config = TransferConfig(multipart_chunksize=10 * MB, max_concurrency=4)
        start = time.perf_counter()
        s3.upload_file(str(payload), "quarantine-bucket", "q/big/v1/payload.bin", Config=config)
        boto3_wall = time.perf_counter() - start

        base = [trecrate, "release", str(root / "release.json"), "--no-store", "--quiet",
                "--force", "--deflate-level", "0"]
        out_dir = work / "s3-local-out"
        cases = [
            ("local quarantine -> bucket", ["--quarantine", str(root / "quarantine"),
                                            "--out", "s3://release-bucket/releases/"]),
            ("bucket -> bucket", ["--quarantine", "s3://quarantine-bucket/q/",
                                  "--out", "s3://release-bucket/releases/"]),
            ("local -> local directory", ["--quarantine", str(root / "quarantine"),
                                          "--out", str(out_dir)]),
        ]
        rows = []
        for name, args in cases:
            # --force alone would make the second run of a case a no-op: start afresh.
            s3.delete_object(Bucket="release-bucket", Key="releases/ro-crate-AR-BENCH-S3.zip")
            shutil.rmtree(out_dir, ignore_errors=True)
            wall, cpu, rss = timed(base + args)
            if args[-1].startswith("s3://"):
                zip_size = s3.head_object(Bucket="release-bucket",
                                          Key="releases/ro-crate-AR-BENCH-S3.zip")["ContentLength"]
            else:
                zip_size = (out_dir / "ro-crate-AR-BENCH-S3.zip").stat().st_size
            rows.append((name, wall, cpu, rss, zip_size))
    finally:
        server.terminate()
        server.wait()

    print(f"S3 release benchmark: one file of {size // MB} MiB (random bytes, stored), "
          f"moto server at {endpoint} (in memory), one run each")
    print(f"{'case':32} {'wall s':>8} {'MB/s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    for name, wall, cpu, rss, zip_size in rows:
        print(f"{name:32} {wall:8.2f} {zip_size / wall / 1e6:8.1f} {cpu:8.2f} {rss:12.1f}")
    print(f"{'boto3 upload_file (same server)':32} {boto3_wall:8.2f} "
          f"{size / boto3_wall / 1e6:8.1f} {'':>8} {'':>12}")


if __name__ == "__main__":
    main()
