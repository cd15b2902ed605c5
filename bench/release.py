"""Time `trecrate release` on synthetic exports; prints wall time, CPU time and peak RSS.

Usage: release.py TRECRATE_BINARY WORK_DIR [--smoke] [--python] [--formats]
Sizes: 1,000 and 10,000 files of about 4 KB (median of 3 runs); --smoke: 100 files, 1 run.
--python also times ro-crate-py writing the same crate (bench/rocrate_py_release.py, which
hashes with hashlib since ro-crate-py does not), once per size, with the venv's Python.
--formats also times each RO-Crate version and BagIt packaging (what a bag's sha512
manifests and tag files cost).
"""
import shutil
import statistics
import sys
from pathlib import Path

from measure import HERE, synthetic_export, timed


FORMATS = [[], ["--bagit"], ["--ro-crate-version", "1.3"], ["--ro-crate-version", "1.3", "--bagit"]]


def run_once(binary, export_dir, out, python=False, options=()):
    shutil.rmtree(out, ignore_errors=True)
    if python:
        argv = [str(HERE.parent / ".venv/bin/python"), str(HERE / "rocrate_py_release.py"), str(export_dir), str(out)]
    else:
        argv = [binary, "release", str(export_dir / "release.json"), "--quarantine",
                str(export_dir / "quarantine"), "--out", str(out), "--quiet", "--no-store", *options]
    return timed(argv)


def main():
    binary, work = sys.argv[1], Path(sys.argv[2])
    smoke, python = "--smoke" in sys.argv, "--python" in sys.argv
    formats = FORMATS if "--formats" in sys.argv else FORMATS[:1]
    sizes, runs = ([100], 1) if smoke else ([1000, 10000], 3)
    print(f"{'files':>7} {'tool':>11} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12} {'files/s':>9}")
    for n in sizes:
        export_dir = synthetic_export(work, n)
        walls = []
        for options in formats:
            results = [run_once(binary, export_dir, work / f"out-{n}", options=options) for _ in range(runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            rss = max(r[2] for r in results)
            walls.append(wall)
            shown = " ".join(options)
            print(f"{n:>7} {'trecrate':>11} {wall:>8.3f} {cpu:>8.3f} {rss:>12.1f} {n / wall:>9.0f}   {shown}")
        if python:
            wall_py, cpu_py, rss_py = run_once(binary, export_dir, work / f"out-{n}", python=True)
            print(f"{n:>7} {'ro-crate-py':>11} {wall_py:>8.3f} {cpu_py:>8.3f} {rss_py:>12.1f} {n / wall_py:>9.0f}"
                  f"   (trecrate {wall_py / walls[0]:.2f}x faster)")
        shutil.rmtree(work / f"out-{n}", ignore_errors=True)


if __name__ == "__main__":
    main()
