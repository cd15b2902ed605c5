"""A drop-in for sapporo-service's `sapporo.ro_crate.generate_ro_crate`.

sapporo calls `generate_ro_crate(run_dir)` after each run to write the run's
`ro-crate-metadata.json`. Like sapporo's own, this one never raises for a run it cannot
describe: the metadata file then holds `{"@error": "..."}` and the cause is appended to the
run's `stderr.log`, so the service can tell a failure from a crate not yet written. The crate
itself is trecrate's run crate (RO-Crate 1.1, Process Run Crate, Workflow Run Crate and
Workflow RO-Crate), as `trecrate run-crate RUN_DIR --on-error-write-stub` writes it.
"""

import os
from typing import Union

from ._native import TrecrateError, run_crate


def generate_ro_crate(run_dir: Union[str, "os.PathLike[str]"]) -> None:
    """Writes RUN_DIR/ro-crate-metadata.json, or the `@error` stub if the run cannot be described."""
    try:
        run_crate(run_dir, on_error_write_stub=True)
    except TrecrateError:
        # The stub and stderr.log say what went wrong, as sapporo's own function leaves it.
        pass
