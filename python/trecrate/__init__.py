"""trecrate from Python: the same library the `trecrate` command runs, without a subprocess.

    import trecrate
    record = trecrate.release("release.json", "quarantine/", "out/")
    report = trecrate.validate("out/ro-crate-AR-2025-0042.zip", level="recommended")
    with trecrate.Archive("archive/") as archive:
        rows = archive.builtin("releases-by-checker", checker="Grace Mensah")

Errors are exceptions, one class per exit status of the command line: `RefusedError` (1: the
work was refused on its merits; `findings` says why), `InputError` (2: trecrate could not
run; the message names the file and field), both `TrecrateError`s. Long work releases the GIL
and stops on Ctrl-C (KeyboardInterrupt) between two stages or files, leaving nothing
half-written. `trecrate.sapporo.generate_ro_crate` is a drop-in for sapporo's own.
"""

import os
from typing import Any, Callable, Dict, Optional, Sequence, Union

from . import _native
from ._native import Archive, InputError, RefusedError, TrecrateError

__all__ = [
    "Archive",
    "InputError",
    "RefusedError",
    "TrecrateError",
    "release",
    "run_crate",
    "validate",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[Dict[str, Any]], None]


def release(
    export: PathLike,
    quarantine: PathLike,
    out: PathLike,
    *,
    store: Optional[PathLike] = None,
    force: bool = False,
    publisher_name: Optional[str] = None,
    publisher_url: Optional[str] = None,
    tre_namespace: Optional[str] = None,
    deflate_level: int = 6,
    on_progress: Optional[Progress] = None,
    ro_crate_version: Optional[str] = None,
    bagit: bool = False,
) -> Dict[str, Any]:
    """Builds the release of an approved airlock request, as `trecrate release` does.

    `export` is the request's release.json; `quarantine` and `out` are directories or
    `s3://BUCKET/PREFIX/` URLs (credentials from the AWS_* environment). Writes
    `ro-crate-{id}/`, its zip and `ro-crate-{id}.release.json` under `out`, all or nothing,
    and records the release in the archive at `store` (nowhere when `None`). Returns the
    release record. `ro_crate_version` is "1.1" (the default), "1.2" or "1.3"; `bagit`
    packages the crate as a BagIt bag.

    `on_progress` receives each progress event as a dict: `{"event": "stage", "stage": ...}`,
    `{"event": "payload", "done": ..., "total": ..., "bytes": ...}` or `{"event":
    "warning", "message": ...}`; an exception it raises cancels the release and is raised.

    Raises RefusedError (with `findings` when the crate fails its own REQUIRED checks) or
    InputError; KeyboardInterrupt on Ctrl-C, with nothing written.
    """
    return _native.release(
        export, quarantine, out, store=store, force=force, publisher_name=publisher_name,
        publisher_url=publisher_url, tre_namespace=tre_namespace, deflate_level=deflate_level,
        on_progress=on_progress, ro_crate_version=ro_crate_version, bagit=bagit,
    )


def validate(
    path: PathLike,
    *,
    profiles: Optional[Sequence[str]] = None,
    level: str = "required",
    metadata_only: bool = False,
) -> Dict[str, Any]:
    """Validates a crate (a directory, a zip, a bag or a metadata file) and returns the report
    `trecrate validate --format json` prints: `passed`, `findings`, `statistics`...

    `profiles` are profile names (`trecrate validate --list-profiles`); by default those the
    crate declares. `level` is "required", "recommended" or "optional". A crate that fails its
    checks is a report with `passed` false, not an exception: InputError is for what cannot be
    read as a crate at all, or an unknown profile or level.
    """
    return _native.validate(path, profiles=profiles, level=level, metadata_only=metadata_only)


def run_crate(
    run_dir: PathLike,
    *,
    out: Optional[PathLike] = None,
    license: Optional[str] = None,
    on_error_write_stub: bool = False,
    store: Optional[PathLike] = None,
    bagit: bool = False,
    on_progress: Optional[Progress] = None,
) -> str:
    """Writes the Workflow Run Crate of a run directory, as `trecrate run-crate` does, and
    returns the path of the metadata file written (RUN_DIR/ro-crate-metadata.json unless
    `out`).

    `license` is an IRI (else the run request's, else CC0); `store` records the run in an
    archive; `bagit` also writes the crate as a BagIt bag in ro-crate-RUNID.zip beside the
    metadata. With `on_error_write_stub`, a failure first writes `{"@error": ...}` where the
    metadata would go and appends the cause to the run's stderr.log, then raises.
    """
    return _native.run_crate(
        run_dir, out=out, license=license, on_error_write_stub=on_error_write_stub,
        store=store, bagit=bagit, on_progress=on_progress,
    )
