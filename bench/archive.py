"""Benchmark of the archive: 1,000 synthetic releases of 50 files each (about 0.7M triples),
written with `trecrate release --no-store`, then `trecrate ingest` of all of them into a fresh
archive (throughput, CPU, peak memory), then each built-in query (median evaluation time of
5 runs, and the wall time of the whole `trecrate query` process, store opening included).

Usage: archive.py TRECRATE WORKDIR [--smoke] [--releases N]
"""
import hashlib
import json
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from measure import timed

PROJECTS = [(f"PRJ-{i:03d}", f"Project {i}") for i in range(20)]
CHECKERS = [(f"u-{i:04d}", f"Checker {i}") for i in range(12)]
STATBARNS = ["frequencies", "linear_regression", "summary_statistics", "survival", "odds_ratio"]
FILES = 50


def export(work, n):
    """Release export number n, with its quarantine, under work/exports/n/."""
    root = work / "exports" / f"{n:05d}"
    if (root / "release.json").exists():
        return root
    project = PROJECTS[n % len(PROJECTS)]
    first, second = CHECKERS[n % len(CHECKERS)], CHECKERS[(n * 5 + 1) % len(CHECKERS)]
    if first == second:
        second = CHECKERS[(n + 1) % len(CHECKERS)]
    month = 1 + n % 12
    year = 2023 + (n // 12) % 4
    day = f"{year}-{month:02d}-{1 + n % 28:02d}"
    objects = []
    for i in range(FILES):
        data = f"group,count\nrelease-{n}-row-{i},{(n * 31 + i * 7) % 997}\n".encode() * 8
        rel = f"obj-{i:03d}/v1/table_{i}.csv"
        path = root / "quarantine" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        objects.append({"id": f"obj-{i:03d}", "versions": [{
            "version": 1, "state": "approved", "path": rel, "name": f"Table {i}",
            "description": f"Synthetic table {i} of release {n}.", "media_type": "text/csv",
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "statbarn": STATBARNS[(n + i) % len(STATBARNS)],
            "researcher_justification": "Benchmark.", "suppression_notes": ""}]})
    review = lambda rid, checker, t: {
        "id": rid, "checker": {"id": checker[0], "name": checker[1]}, "decision": "approved",
        "started_at": f"{day}T{t}:00:00Z", "completed_at": f"{day}T{t}:30:00Z"}
    doc = {
        "format": "trevor-release/1",
        "request": {
            "id": f"AR-{year}-{n:05d}", "title": f"Synthetic release {n}",
            "description": "Written by bench/archive.py.",
            "project": {"id": project[0], "name": project[1]},
            "researcher": {"id": f"u-9{n % 50:03d}", "name": f"Researcher {n % 50}"},
            "submitted_at": f"{day}T08:00:00Z", "approved_at": f"{day}T12:30:00Z",
            "license": "https://spdx.org/licenses/CC-BY-4.0"},
        "objects": objects,
        "reviews": [review(f"rev-{n}-1", first, "10"), review(f"rev-{n}-2", second, "12")],
        "audit": [{"at": f"{day}T08:00:00Z", "actor": f"u-9{n % 50:03d}", "event": "submitted"},
                  {"at": f"{day}T12:30:00Z", "actor": second[0], "event": "approved"}],
    }
    (root / "release.json").write_text(json.dumps(doc))
    return root


def release(trecrate, work, n):
    root = export(work, n)
    out = work / "out"
    crate = out / f"ro-crate-{json.loads((root / 'release.json').read_text())['request']['id']}"
    if not crate.exists():
        subprocess.run([trecrate, "release", str(root / "release.json"), "--quarantine",
                        str(root / "quarantine"), "--out", str(out), "--no-store", "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
    return crate


def main():
    trecrate, work = sys.argv[1], Path(sys.argv[2])
    smoke = "--smoke" in sys.argv
    count = 20 if smoke else 1000
    if "--releases" in sys.argv:
        count = int(sys.argv[sys.argv.index("--releases") + 1])
    work = work / f"archive-{count}"
    work.mkdir(parents=True, exist_ok=True)
    print(f"writing {count} releases of {FILES} files (cached under {work})...", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=2) as pool:
        crates = list(pool.map(lambda n: release(trecrate, work, n), range(count)))

    store = work / "store"
    subprocess.run(["rm", "-rf", str(store)], check=True)
    wall, cpu, rss = timed([trecrate, "ingest", "--store", str(store), *map(str, crates)])
    quads = subprocess.run(
        [trecrate, "query", "--store", str(store), "--format", "csv",
         "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"],
        check=True, capture_output=True, text=True).stdout.splitlines()[1]
    print(f"\ningest: {count} crates ({int(quads)} quads) in "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU, peak {rss:.0f} MB: "
          f"{count / wall:.0f} releases/s (target: 50)")

    metadata = json.loads((crates[count // 2] / "ro-crate-metadata.json").read_text())
    sha = next(e["sha256"] for e in metadata["@graph"] if "sha256" in e)
    request = next(e["tre:airlockRequestId"] for e in metadata["@graph"] if "tre:airlockRequestId" in e)
    cases = [
        ("releases", []),
        ("release-by-checksum", [f"sha256={sha}"]),
        ("releases-by-checker", ["checker=Checker 3"]),
        ("releases-by-project", ["project=PRJ-007", "from=2024-01-01", "to=2024-12-31"]),
        ("files-by-statbarn", ["statbarn=survival", "project=PRJ-004", "from=2025-01-01", "to=2025-12-31"]),
        # Without a project every file of the statbarn is visited: a fifth of all files.
        ("files-by-statbarn", ["statbarn=survival", "from=2025-01-01", "to=2025-01-31"]),
        ("approval-anomalies", []),
        ("request-timeline", [f"request={request}"]),
    ]
    print(f"\n{'built-in query':<22} {'parameters':<50} {'rows':>6} {'evaluation ms':>14} {'process ms':>11}")
    for name, params in cases:
        argv = [trecrate, "query", "--store", str(store), "--builtin", name, "--time", "--format", "tsv"]
        for p in params:
            argv += ["--param", p]
        evals, walls, rows = [], [], 0
        for _ in range(5):
            run = subprocess.run(argv, check=True, capture_output=True, text=True)
            evals.append(float(run.stderr.split("evaluated in ")[1].split(" ms")[0]))
            rows = len(run.stdout.splitlines()) - 1
            walls.append(timed(argv)[0] * 1000)
        shown = " ".join(p.split("=", 1)[0] for p in params)
        print(f"{name:<22} {shown:<50} {rows:>6} {statistics.median(evals):>14.1f} {statistics.median(walls):>11.1f}")
    print("\ntarget: each built-in query under 100 ms")


if __name__ == "__main__":
    main()
