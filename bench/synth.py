"""Write a synthetic trevor-release/1 export with N small CSV outputs and its quarantine.

Usage: synth.py DIR N [FILE_BYTES]
Each object has one approved version of about FILE_BYTES (default 4096) of CSV text; every
tenth object also has a superseded version, so the selection of the latest approval has work.
"""
import hashlib
import json
import sys
from pathlib import Path


def csv_text(i, size):
    lines = ["region,admissions,patients"]
    row = 0
    while sum(len(l) + 1 for l in lines) < size:
        lines.append(f"region-{i}-{row},{(i * 31 + row * 7) % 9973},{(i * 17 + row * 3) % 4211}")
        row += 1
    return ("\n".join(lines) + "\n").encode()


def main():
    out, n = Path(sys.argv[1]), int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    quarantine = out / "quarantine"
    objects = []
    for i in range(n):
        oid = f"obj-{i:06d}"
        versions = []
        numbers = [1, 2] if i % 10 == 0 else [1]
        for v in numbers:
            data = csv_text(i * 3 + v, size)
            rel = f"{oid}/v{v}/table_{i}.csv"
            path = quarantine / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            versions.append({
                "version": v,
                "state": "approved" if v == numbers[-1] else "superseded",
                "path": rel,
                "name": f"Table {i}",
                "description": f"Synthetic frequency table {i}.",
                "media_type": "text/csv",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "statbarn": "frequencies",
                "researcher_justification": "Synthetic benchmark output.",
                "suppression_notes": "Counts below 10 suppressed.",
            })
        objects.append({"id": oid, "versions": versions})
    export = {
        "format": "trevor-release/1",
        "request": {
            "id": f"AR-BENCH-{n}",
            "title": f"Synthetic release of {n} files",
            "description": "Benchmark export written by bench/synth.py.",
            "project": {"id": "PRJ-BENCH", "name": "Benchmarks"},
            "researcher": {"id": "u-1", "name": "Bench Researcher", "affiliation": "Bench University"},
            "submitted_at": "2025-01-01T09:00:00Z",
            "approved_at": "2025-01-03T17:00:00Z",
            "license": "https://spdx.org/licenses/CC-BY-4.0",
        },
        "objects": objects,
        "reviews": [
            {"id": "rev-1", "checker": {"id": "u-2", "name": "Checker One"}, "decision": "approved",
             "started_at": "2025-01-02T09:00:00Z", "completed_at": "2025-01-02T12:00:00Z", "comments": "ok"},
            {"id": "rev-2", "checker": {"id": "u-3", "name": "Checker Two"}, "decision": "approved",
             "started_at": "2025-01-03T09:00:00Z", "completed_at": "2025-01-03T17:00:00Z", "comments": "ok"},
        ],
        "audit": [
            {"at": "2025-01-01T09:00:00Z", "actor": "u-1", "event": "submitted"},
            {"at": "2025-01-03T17:00:00Z", "actor": "u-3", "event": "approved"},
        ],
    }
    (out / "release.json").write_text(json.dumps(export, indent=1))


if __name__ == "__main__":
    main()
