"""Types of trecrate's extension module. `trecrate` (its __init__.py) documents and wraps the
functions; the classes are used as they are."""

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

_PathLike = Union[str, "os.PathLike[str]"]
_Progress = Callable[[Dict[str, Any]], None]
_Row = Dict[str, Union[str, int, float, bool, None]]

class TrecrateError(Exception):
    """Base of trecrate's errors."""

    exit_code: int
    """What the command line would exit with: 1 refused, 2 could not run."""
    findings: List[Dict[str, Any]]
    """The findings behind a refusal, as `trecrate validate --format json` writes them."""

class RefusedError(TrecrateError):
    """Refused on its merits (exit status 1)."""

class InputError(TrecrateError):
    """trecrate could not run (exit status 2); the message names the file and field."""

def release(
    export: _PathLike,
    quarantine: _PathLike,
    out: _PathLike,
    *,
    store: Optional[_PathLike] = ...,
    force: bool = ...,
    publisher_name: Optional[str] = ...,
    publisher_url: Optional[str] = ...,
    tre_namespace: Optional[str] = ...,
    deflate_level: int = ...,
    on_progress: Optional[_Progress] = ...,
    ro_crate_version: Optional[str] = ...,
    bagit: bool = ...,
) -> Dict[str, Any]: ...
def validate(
    path: _PathLike,
    *,
    profiles: Optional[Sequence[str]] = ...,
    level: str = ...,
    metadata_only: bool = ...,
) -> Dict[str, Any]: ...
def run_crate(
    run_dir: _PathLike,
    *,
    out: Optional[_PathLike] = ...,
    license: Optional[str] = ...,
    on_error_write_stub: bool = ...,
    store: Optional[_PathLike] = ...,
    bagit: bool = ...,
    on_progress: Optional[_Progress] = ...,
) -> str: ...

class Archive:
    """The archive of releases (a directory written by `release(store=...)`), open for
    queries. It holds the archive's lock until closed: use it in a `with` block."""

    def __init__(self, path: _PathLike) -> None: ...
    def releases(self) -> List[_Row]:
        """Every archived version, as `trecrate releases` lists them."""
    def query(self, sparql: str, **params: Union[str, int, float, bool]) -> Union[List[_Row], bool, str]:
        """A SPARQL query over every archived release. Keyword arguments bind the query's
        variables before evaluation. SELECT gives rows as dicts, ASK a bool, CONSTRUCT and
        DESCRIBE a Turtle string."""
    def builtin(self, name: str, **params: Union[str, int]) -> Union[List[_Row], bool, str]:
        """One of the auditors' built-in queries (`trecrate query --list`), its parameters
        as keyword arguments, e.g. `builtin("releases-by-checker", checker="Grace Mensah")`."""
    def close(self) -> None:
        """Lets go of the archive so that another process may record into it."""
    def __enter__(self) -> "Archive": ...
    def __exit__(self, *args: object) -> bool: ...
