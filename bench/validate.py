"""Time `trecrate validate` on release crates of 1,000 and 10,000 files, with the payload
(checksums) and --metadata-only; prints wall time, CPU time and peak RSS (median of 3 runs).
With --python, also times the Python reference validator (rocrate-validator -p ro-crate-1.1
-l required, offline) on the 1,000-file crate, once.

Usage: validate.py TRECRATE_BINARY WORK_DIR [--smoke] [--python]
"""
import statistics
import subprocess
import sys
from pathlib import Path

from measure import HERE, synthetic_export, timed

ROOT = HERE.parent


def crate_for(binary, work, n):
    export_dir = synthetic_export(work, n)
    out = work / f"crate-{n}"
    crate = out / f"ro-crate-AR-BENCH-{n}"
    if not crate.exists():
        subprocess.run([binary, "release", str(export_dir / "release.json"), "--quarantine",
                        str(export_dir / "quarantine"), "--out", str(out), "--quiet", "--force", "--no-store"],
                       check=True, stdout=subprocess.DEVNULL)
    return crate


def main():
    binary, work = sys.argv[1], Path(sys.argv[2])
    smoke, python = "--smoke" in sys.argv, "--python" in sys.argv
    sizes, runs = ([100], 1) if smoke else ([1000, 10000], 3)
    print(f"{'files':>7} {'mode':>14} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12}")
    for n in sizes:
        crate = crate_for(binary, work, n)
        for mode, extra in [("with payload", []), ("metadata-only", ["--metadata-only"])]:
            results = [timed([binary, "validate", str(crate), *extra]) for _ in range(runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            rss = max(r[2] for r in results)
            print(f"{n:>7} {mode:>14} {wall:>8.3f} {cpu:>8.3f} {rss:>12.1f}")
    if python:
        venv = ROOT / ".venv" / "bin"
        cache = work / "rocv-cache"
        subprocess.run([str(venv / "python"), str(ROOT / "tests/peers/seed_rocv_cache.py"), str(cache),
                        str(ROOT / "context")], check=True)
        crate = crate_for(binary, work, sizes[0])
        wall, cpu, rss = timed([str(venv / "rocrate-validator"), "-y", "validate", "--offline", "--cache-path",
                                str(cache), "-p", "ro-crate-1.1", "-l", "required", str(crate)], ok_codes=(0, 1))
        print(f"{sizes[0]:>7} {'rocrate-validator':>14} {wall:>8.3f} {cpu:>8.3f} {rss:>12.1f}")


if __name__ == "__main__":
    main()
