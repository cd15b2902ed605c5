"""trecrate side by side with the Python tools and with the machine's own limits, in one run.

Usage: compare.py TRECRATE WORKDIR [--smoke] [--large]

Cases: synthetic release exports of 100, 1,000 and 10,000 small CSV files (about 4 KB each);
--large adds 100,000 files and one export of five 1 GB files (random and text), stored
uncompressed (--deflate-level 0). --smoke runs 100 files once (CI).

For each case: `trecrate release` on every core and on one (`taskset -c 0`), with the time of
its payload stage (hashing, copying, zipping: from its progress line to the end), against
ro-crate-py writing the equivalent crate directory and zip (hashing with hashlib, since it
does not hash), and `trecrate validate` (with checksums, and
--metadata-only) against `rocrate-validator validate -p ro-crate-1.1 -l required` on trecrate's
crate, offline with its cache seeded from the bundled contexts. Then a profile row: a synthetic
workflow run directory with as many outputs becomes a Workflow Run Crate (`trecrate run-crate`),
validated with `--profile workflow-run-crate` (which brings Process Run Crate, Workflow RO-Crate
and RO-Crate 1.1) against `rocrate-validator -p workflow-run-crate -l required`.
Wall and CPU time are medians
of the runs, peak RSS their maximum (wait4's ru_maxrss). The machine's limits are measured in
the same run: `openssl dgst -sha256` on a file in page cache, and `zip -0` / `zip -6` on the
10,000-file tree; with --large, the disk's write rate too (`dd`, 2 GiB, flushed).

Every timed release writes into a directory of its own, deleted after the last measurement
(see `run_dir` and `delete_outputs`).
"""
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import HERE, synthetic_export, timed

ROOT = HERE.parent
VENV = ROOT / ".venv" / "bin"
GB = 1 << 30


def large_export(work):
    """Five 1 GB files: three of random bytes, two of CSV text."""
    export_dir = work / "export-large"
    if (export_dir / "release.json").exists():
        return export_dir
    shutil.rmtree(export_dir, ignore_errors=True)
    objects = []
    for i in range(5):
        rel = f"big-{i}/v1/part_{i}.{'bin' if i < 3 else 'csv'}"
        path = export_dir / "quarantine" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        line = f"row,{i},{'x' * 40},12345\n".encode() * 1024
        with open(path, "wb") as f:
            while size < GB:
                chunk = os.urandom(1 << 20) if i < 3 else line[: 1 << 20]
                f.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        objects.append({"id": f"big-{i}", "versions": [{
            "version": 1, "state": "approved", "path": rel, "name": f"Large output {i}",
            "description": "Synthetic large file.",
            "media_type": "application/octet-stream" if i < 3 else "text/csv",
            "sha256": digest.hexdigest(), "size": size, "statbarn": "other",
            "researcher_justification": "Benchmark.", "suppression_notes": ""}]})
    template = json.loads((synthetic_export(work, 100) / "release.json").read_text())
    template["request"]["id"] = "AR-BENCH-LARGE"
    template["objects"] = objects
    (export_dir / "release.json").write_text(json.dumps(template))
    return export_dir


def synthetic_run(work, n):
    """A sapporo-style workflow run directory with n small CSV outputs."""
    run = work / f"run-{n}"
    if (run / "run_request.json").exists():
        return run
    shutil.rmtree(run, ignore_errors=True)
    (run / "exe").mkdir(parents=True)
    (run / "outputs").mkdir()
    (run / "run_request.json").write_text(json.dumps({
        "workflow_params": {"reads": {"class": "File", "path": "reads.csv"}, "threads": 4},
        "workflow_type": "CWL", "workflow_type_version": "v1.2",
        "workflow_engine": "cwltool", "workflow_engine_version": "3.1.0",
        "workflow_url": "wf.cwl", "tags": {"license": "https://spdx.org/licenses/CC-BY-4.0"},
        "workflow_attachment": [{"filename": "wf.cwl"}, {"filename": "reads.csv"}]}))
    (run / "runtime_info.json").write_text(json.dumps({"run_id": f"bench-{n}"}))
    (run / "exe" / "wf.cwl").write_text("cwlVersion: v1.2\nclass: Workflow\n")
    (run / "exe" / "reads.csv").write_text("read,count\nr1,4\n")
    for i in range(n):
        (run / "outputs" / f"table_{i:06}.csv").write_text(f"row,value\n{i},{i * 7}\n" * 100)
    for name, text in [("state.txt", "COMPLETE"), ("exit_code.txt", "0"),
                       ("start_time.txt", "2026-12-01T09:00:00Z"), ("end_time.txt", "2026-12-01T09:30:00Z"),
                       ("stdout.log", "{}"), ("stderr.log", "INFO done")]:
        (run / name).write_text(text + "\n")
    return run


def median_of(argv, runs, ok_codes=(0,), before=lambda: None):
    """argv, or argv(i) for run i."""
    results = []
    for i in range(runs):
        before()
        results.append(timed(argv(i) if callable(argv) else argv, ok_codes))
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results))


def release_argv(trecrate, export_dir, out, extra=(), export="release.json"):
    return [trecrate, "release", str(export_dir / export), "--quarantine",
            str(export_dir / "quarantine"), "--out", str(out), "--quiet", "--no-store", *extra]


PAYLOAD_STAGE = re.compile(r"\[\s*([0-9.]+)s\] (hashing, copying and zipping the payload|writing the payload)")


def timed_release(argv):
    """A release timed with its progress lines: (wall s, CPU s, peak RSS MB, payload stage s),
    the payload stage being from its progress line to the end of the run."""
    argv = [a for a in argv if a != "--quiet"]
    with tempfile.TemporaryFile("w+") as progress:
        wall, cpu, rss = timed(argv, stderr=progress)
        progress.seek(0)
        started = [float(m.group(1)) for m in PAYLOAD_STAGE.finditer(progress.read())]
    if not started:
        sys.exit(f"{argv[0]}: no payload stage in its progress lines")
    return wall, cpu, rss, wall - started[-1]


def release_rows(trecrate, export_dir, out, n, runs):
    """`trecrate release` on both cores, the payload stage's share of it, and on one core
    (`taskset -c 0`, where there is taskset and a second core), in alternation, so that the
    machine's drift reaches both alike."""
    one_core = shutil.which("taskset") and (os.cpu_count() or 1) >= 2
    both, one = [], []
    for i in range(runs):
        both.append(timed_release(release_argv(trecrate, export_dir, run_dir(out, i))))
        if one_core:
            argv = ["taskset", "-c", "0", *release_argv(trecrate, export_dir, run_dir(out, runs + i))]
            one.append(timed_release(argv))
    median = lambda results, k: statistics.median(r[k] for r in results)
    t = (median(both, 0), median(both, 1), max(r[2] for r in both))
    rows = [(f"{n} files", "release", "trecrate", *t, None),
            (f"{n} files", "release: its payload stage", "trecrate", median(both, 3), None, None,
             t[0] / median(both, 3))]
    if one_core:
        wall = median(one, 0)
        rows.append((f"{n} files", "release on 1 core (taskset -c 0)", "trecrate", wall,
                     median(one, 1), max(r[2] for r in one), wall / t[0]))
    return t, rows


def run_dir(out, i):
    """Where run i writes: a directory of its own, so that every run is a first release (none
    is replaced, which at 100,000 files on ext4 costs 10 s more: 57.7 s against 47.8 s)."""
    return out / f"run-{i}"


# ext4 passes over inodes freed in the last minute when it allocates new ones
# (`recently_deleted` in perf): a 10,000-file release started just after the last one was
# deleted took 7-8 s instead of 2-3 s. Outputs are deleted only after the last measurement,
# written back, and the time noted; a run started within a minute of that waits first.
DELETED_AT = ".compare-deleted-at"
QUIET_AFTER_DELETION = 65


def delete_outputs(work):
    for out in work.glob("compare-*"):
        shutil.rmtree(out, ignore_errors=True)
    os.sync()
    (work / DELETED_AT).write_text(f"{time.time()}\n")


def wait_after_deletion(work):
    try:
        wait = float((work / DELETED_AT).read_text()) + QUIET_AFTER_DELETION - time.time()
    except (OSError, ValueError):
        return
    if wait > 0:
        print(f"waiting {wait:.0f} s: files were deleted on this disk less than a minute ago",
              file=sys.stderr)
        time.sleep(wait)


def disk_write_rate(work):
    """MB/s of `dd` writing 2 GiB to the work directory's disk, flushed before it returns."""
    target = work / "dd-sample.bin"
    start = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=2048",
                    "conv=fdatasync"], check=True, stderr=subprocess.DEVNULL)
    rate = (2 << 30) / (time.perf_counter() - start) / 1e6
    target.unlink()
    return rate


def tree_bytes(path):
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def into_page_cache(path):
    """Reads a file once, so that a timed run reads it from memory."""
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)


def machine_limits(work, tree):
    """sha256 and zip throughput of this machine, in MB/s."""
    sample = work / "openssl-sample.bin"
    if not sample.exists() or sample.stat().st_size != 512 << 20:
        with open(sample, "wb") as f:
            for _ in range(512):
                f.write(os.urandom(1 << 20))
    into_page_cache(sample)
    wall, _, _ = median_of(["openssl", "dgst", "-sha256", str(sample)], 3)
    limits = {"openssl sha256": (512 << 20) / wall / 1e6}
    size = tree_bytes(tree)
    for level in ("-0", "-6"):
        target = work / f"zip{level}.zip"
        target.unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(["zip", "-q", "-r", level, str(target), "."], cwd=tree, check=True)
        limits[f"zip {level} ({size / 1e6:.0f} MB tree)"] = size / (time.perf_counter() - start) / 1e6
        target.unlink()
    return limits


def available_memory():
    """MemAvailable from /proc/meminfo, in bytes; 0 where there is none."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def profile_rows(trecrate, work, n, runs, cache, reference=True):
    """The profile row: a Workflow Run Crate of n outputs validated with its profile."""
    run = synthetic_run(work, n)
    subprocess.run([trecrate, "run-crate", str(run), "--quiet", "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    # The outputs and the 32 MB of metadata just written are flushed first: their writeback
    # running beside the first timed validation made it 1.5 s instead of 1.0 s.
    os.sync()
    profile = "workflow-run-crate"
    v = median_of([trecrate, "validate", "--profile", profile, str(run)], runs)
    rows = [(f"{n} files", f"validate {profile}", "trecrate", *v, None)]
    if reference:
        r = median_of([str(VENV / "rocrate-validator"), "-y", "validate", "--offline", "--cache-path",
                       str(cache), "-p", profile, "-l", "required", str(run)], 1, ok_codes=(0, 1))
        rows.append((f"{n} files", f"validate {profile}", "rocrate-validator", *r, r[0] / v[0]))
    return rows


def main():
    trecrate, work = sys.argv[1], Path(sys.argv[2]).resolve()
    smoke, large = "--smoke" in sys.argv, "--large" in sys.argv
    sizes = [100] if smoke else [100, 1000, 10000] + ([100000] if large else [])
    runs = 1 if smoke else 3
    for tool in ("python", "rocrate-validator"):
        if not (VENV / tool).exists():
            sys.exit(f"{VENV / tool} missing: run scripts/setup")
    cache = work / "rocv-cache"
    subprocess.run([str(VENV / "python"), str(ROOT / "tests/peers/seed_rocv_cache.py"), str(cache),
                    str(ROOT / "context")], check=True)

    if any(work.glob("compare-*")):
        delete_outputs(work)  # an interrupted run's
    wait_after_deletion(work)

    rows = []  # (case, operation, tool, wall, cpu, rss, python wall / trecrate wall)
    for n in sizes:
        export_dir = synthetic_export(work, n)
        out = work / f"compare-{n}"
        crate = run_dir(out, 0) / f"ro-crate-AR-BENCH-{n}"
        t, timed_rows = release_rows(trecrate, export_dir, out, n, runs)
        rows.extend(timed_rows)
        py_runs = runs if n <= 10000 else 1
        py_out = work / f"compare-py-{n}"
        results = []
        for i in range(py_runs):
            results.append(timed([str(VENV / "python"), str(HERE / "rocrate_py_release.py"),
                                  str(export_dir), str(run_dir(py_out, i))]))
        p = (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
             max(r[2] for r in results))
        rows.append((f"{n} files", "release", "ro-crate-py", *p, p[0] / t[0]))
        v = median_of([trecrate, "validate", str(crate)], runs)
        rows.append((f"{n} files", "validate", "trecrate", *v, None))
        m = median_of([trecrate, "validate", "--metadata-only", str(crate)], runs)
        rows.append((f"{n} files", "validate --metadata-only", "trecrate", *m, None))
        if n <= 10000:
            r = median_of([str(VENV / "rocrate-validator"), "-y", "validate", "--offline", "--cache-path",
                           str(cache), "-p", "ro-crate-1.1", "-l", "required", str(crate)], 1, ok_codes=(0, 1))
            rows.append((f"{n} files", "validate", "rocrate-validator", *r, r[0] / v[0]))
        rows.extend(profile_rows(trecrate, work, n, runs, cache, reference=n <= 10000))

    tree = synthetic_export(work, 100 if smoke else 10000) / "quarantine"
    limits = machine_limits(work, tree)
    if large:
        export_dir = large_export(work)
        # The release writes every byte twice, its copy and the zip: half this rate is the
        # disk's bound for it. Measured first, with nothing else left to write back.
        os.sync()
        limits["disk write (dd, 2 GiB, fdatasync)"] = disk_write_rate(work)
        out = run_dir(work / "compare-large", 0)
        t = median_of(release_argv(trecrate, export_dir, out, ["--deflate-level", "0"]), 1)
        rows.append(("5 x 1 GB", "release (stored)", "trecrate", *t, None))
        v = median_of([trecrate, "validate", str(out / "ro-crate-AR-BENCH-LARGE")], 1)
        rows.append(("5 x 1 GB", "validate", "trecrate", *v, None))
        limits["trecrate release, 5 GB stored"] = 5 * GB / t[0] / 1e6
        limits["trecrate validate, 5 GB"] = 5 * GB / v[0] / 1e6
        # One of the files again, into memory, where the disk no longer sets the pace: the
        # rate of the hashing and zipping themselves. One file, because the five (10 GB
        # written) left this 24 GB machine reclaiming pages: 10-28 s, mostly system time.
        shm = Path("/dev/shm")
        if shm.is_dir() and shutil.disk_usage(shm).free > 3 * GB and available_memory() > 6 * GB:
            export = json.loads((export_dir / "release.json").read_text())
            export["objects"] = export["objects"][:1]
            (export_dir / "release-one.json").write_text(json.dumps(export))
            out = shm / "trecrate-compare-large"
            # The disk release's 10 GB fill the page cache, and every tmpfs page would first
            # be reclaimed from it (3.1 s, mostly system time, instead of 1.5-1.7 s): written
            # back and dropped where this user may, then the one source file read back in.
            os.sync()
            try:
                Path("/proc/sys/vm/drop_caches").write_text("1\n")
            except OSError:
                pass
            source = export_dir / "quarantine" / export["objects"][0]["versions"][0]["path"]
            into_page_cache(source)
            argv = release_argv(trecrate, export_dir, out, ["--deflate-level", "0"], "release-one.json")

            def empty():
                # A run over the last one's 2 GB has the kernel reclaiming pages for the new
                # ones (2.5 s instead of 1.5 s here).
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()

            try:
                t = median_of(argv, 3, before=empty)
                rows.append(("1 x 1 GB", "release (stored, tmpfs)", "trecrate", *t, None))
                limits["trecrate release, 1 GB stored, tmpfs"] = GB / t[0] / 1e6
            finally:
                shutil.rmtree(out, ignore_errors=True)

    delete_outputs(work)

    print(f"\n{'case':<11} {'operation':<34} {'tool':<18} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'ratio':>7}")
    for case, op, tool, wall, cpu, rss, ratio in rows:
        shown = f"{ratio:.2f}x" if ratio else ""
        cpu = "" if cpu is None else f"{cpu:.3f}"
        rss = "" if rss is None else f"{rss:.0f}"
        print(f"{case:<11} {op:<34} {tool:<18} {wall:>8.3f} {cpu:>8} {rss:>8} {shown:>7}")
    print("ratio: a Python tool's wall time over trecrate's; for the payload stage, the whole"
          " release's over\nthe stage's; on 1 core, its wall time over the same release's on both.")
    print(f"\n{'machine limit':<40} {'MB/s':>8} {'of openssl':>11}")
    for name, rate in limits.items():
        print(f"{name:<40} {rate:>8.0f} {rate / limits['openssl sha256']:>11.0%}")


if __name__ == "__main__":
    main()
