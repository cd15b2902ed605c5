"""The Python baseline for the release benchmarks: ro-crate-py writing the crate of a synthetic
export (the latest approved version of each object, with the same properties) as a directory
and as a zip, what `trecrate release` writes; each file hashed with hashlib since ro-crate-py
does not hash. Usage: rocrate_py_release.py EXPORT_DIR OUT_DIR
"""
import hashlib
import json
import sys
from pathlib import Path

from rocrate.rocrate import ROCrate


def main():
    export_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    export = json.loads((export_dir / "release.json").read_text())
    crate = ROCrate()
    crate.name = export["request"]["title"]
    crate.description = export["request"]["description"]
    for obj in export["objects"]:
        approved = [v for v in obj["versions"] if v["state"] == "approved"]
        if not approved:
            continue
        v = max(approved, key=lambda v: v["version"])
        source = export_dir / "quarantine" / v["path"]
        sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
        if sha256 != v["sha256"]:
            sys.exit(f"checksum mismatch: {source}")
        crate.add_file(source, dest_path=f"data/{obj['id']}_v{v['version']}.csv", properties={
            "name": v["name"], "description": v["description"], "encodingFormat": v["media_type"],
            "contentSize": str(v["size"]), "sha256": sha256, "tre:statbarn": v["statbarn"],
        })
    name = f"ro-crate-{export['request']['id']}"
    crate.write(out / name)
    crate.write_zip(out / f"{name}.zip")


if __name__ == "__main__":
    main()
