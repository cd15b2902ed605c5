"""The Python package against the command line: each function on the bundled examples, with
the results compared to the CLI's output byte for byte, the sapporo drop-in on the corpus's
run, refusals with their findings, the archive, progress, and Ctrl-C."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import trecrate
import trecrate.sapporo

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("release-*"))
BINARY = ROOT / "target" / "release" / "trecrate"
SAPPORO_RUN = ROOT / "tests" / "corpus" / "sapporo" / "run-crate"


def cli(*args, env=None):
    """The command line's output, as the tests of the binary run it (no archive unless asked)."""
    environment = {**os.environ, "TRECRATE_NO_STORE": "1", **(env or {})}
    return subprocess.run(
        [str(BINARY), *map(str, args)], capture_output=True, env=environment, check=False
    )


def example_copy(tmp_path, example):
    target = tmp_path / example.name
    shutil.copytree(example, target)
    return target


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
@pytest.mark.parametrize("version,bagit", [("1.1", False), ("1.2", True)])
def test_release_is_the_command_lines_byte_for_byte(tmp_path, example, version, bagit):
    events = []
    record = trecrate.release(
        example / "release.json",
        example / "quarantine",
        tmp_path / "py",
        on_progress=events.append,
        ro_crate_version=version,
        bagit=bagit,
    )
    args = ["release", example / "release.json", "--quarantine", example / "quarantine"]
    args += ["--out", tmp_path / "cli", "--quiet", "--ro-crate-version", version]
    done = cli(*args, *(["--bagit"] if bagit else []))
    assert done.returncode == 0, done.stderr.decode()
    name = f"ro-crate-{record['request_id']}"
    for path in [f"{name}.zip"] + [
        str(p.relative_to(tmp_path / "cli"))
        for p in (tmp_path / "cli" / name).rglob("*")
        if p.is_file()
    ]:
        assert (tmp_path / "py" / path).read_bytes() == (tmp_path / "cli" / path).read_bytes(), path
    written = json.loads((tmp_path / "py" / f"{name}.release.json").read_text())
    assert record == written
    theirs = json.loads((tmp_path / "cli" / f"{name}.release.json").read_text())
    for record_ in (record, theirs):
        record_.pop("released_at")
    assert record == theirs
    assert record["packaging" if bagit else "zip"]
    stages = [e["stage"] for e in events if e["event"] == "stage"]
    assert stages[0] == "reading the export"
    payload = [e for e in events if e["event"] == "payload"]
    assert payload[-1]["done"] == payload[-1]["total"] == record["file_count"]
    assert payload[-1]["bytes"] == record["payload_bytes"]


def test_a_release_refused_by_its_shapes_carries_the_findings(tmp_path):
    example = example_copy(tmp_path, EXAMPLES[1])
    export = json.loads((example / "release.json").read_text())
    # The researcher checking their own outputs: the release profile's REQUIRED rule.
    export["reviews"][0]["checker"] = dict(export["request"]["researcher"])
    (example / "release.json").write_text(json.dumps(export))
    with pytest.raises(trecrate.RefusedError) as refused:
        trecrate.release(example / "release.json", example / "quarantine", tmp_path / "out")
    error = refused.value
    assert error.exit_code == 1
    assert "REQUIRED" in str(error)
    assert {f["severity"] for f in error.findings} == {"REQUIRED"}
    assert any("their own" in f["message"] for f in error.findings)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_input_is_an_input_error_naming_the_file_and_field(tmp_path):
    example = example_copy(tmp_path, EXAMPLES[1])
    export = json.loads((example / "release.json").read_text())
    export["objects"][0]["versions"][0]["sha256"] = "not a checksum"
    (example / "release.json").write_text(json.dumps(export))
    # An export that breaks its schema is refused (exit 1), naming the field.
    with pytest.raises(trecrate.RefusedError) as refused:
        trecrate.release(example / "release.json", example / "quarantine", tmp_path / "out")
    assert "objects[0].versions[0].sha256" in str(refused.value)
    # What cannot be read at all is an InputError (exit 2), naming the file.
    missing = tmp_path / "no-such-export.json"
    with pytest.raises(trecrate.InputError) as failed:
        trecrate.release(missing, example / "quarantine", tmp_path / "out")
    assert failed.value.exit_code == 2
    assert str(missing) in str(failed.value)
    with pytest.raises(trecrate.InputError):
        trecrate.release(example / "release.json", example / "quarantine", tmp_path / "o", ro_crate_version="9")
    assert isinstance(failed.value, trecrate.TrecrateError)


@pytest.mark.parametrize("level", ["required", "recommended"])
def test_validate_gives_the_command_lines_report(tmp_path, level):
    example = EXAMPLES[0]
    trecrate.release(example / "release.json", example / "quarantine", tmp_path, ro_crate_version="1.3")
    crate = next(tmp_path.glob("*.zip"))
    report = trecrate.validate(crate, level=level, profiles=["ro-crate-1.3"])
    done = cli("validate", crate, "--format", "json", "--level", level, "--profile", "ro-crate-1.3")
    theirs = json.loads(done.stdout)
    for r in (report, theirs):
        r["statistics"].pop("duration_ms")
    assert report == theirs
    assert report["passed"] is (done.returncode == 0)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ro-crate-metadata.json").write_text('{"@context": 1}')
    failed = trecrate.validate(broken, metadata_only=True)
    assert failed["passed"] is False and failed["findings"]
    with pytest.raises(trecrate.InputError):
        trecrate.validate(tmp_path, profiles=["no-such-profile"])


def test_run_crate_writes_the_command_lines_crate(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ours, theirs = tmp_path / "py", tmp_path / "cli"
    shutil.copytree(SAPPORO_RUN, ours)
    shutil.copytree(SAPPORO_RUN, theirs)
    path = trecrate.run_crate(ours)
    assert Path(path) == ours / "ro-crate-metadata.json"
    done = cli("run-crate", theirs, "--quiet", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert done.returncode == 0, done.stderr.decode()
    assert Path(path).read_bytes() == (theirs / "ro-crate-metadata.json").read_bytes()


def test_the_sapporo_drop_in_writes_the_crate_or_the_error_stub(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(SAPPORO_RUN, run)
    (run / "ro-crate-metadata.json").unlink(missing_ok=True)
    assert trecrate.sapporo.generate_ro_crate(run) is None
    crate = json.loads((run / "ro-crate-metadata.json").read_text())
    assert "@graph" in crate
    # A run that cannot be described: no exception, the @error stub, the cause in stderr.log.
    (run / "run_request.json").write_text("{ not json")
    before = (run / "stderr.log").read_text() if (run / "stderr.log").exists() else ""
    assert trecrate.sapporo.generate_ro_crate(run) is None
    stub = json.loads((run / "ro-crate-metadata.json").read_text())
    assert "run_request.json" in stub["@error"]
    after = (run / "stderr.log").read_text()
    assert after.startswith(before) and "run_request.json" in after[len(before):]


def test_the_archive_answers_as_the_command_line(tmp_path):
    store = tmp_path / "archive"
    for example in EXAMPLES:
        trecrate.release(example / "release.json", example / "quarantine", tmp_path / "out", store=store)
    listed = cli("releases", "--store", store, "--format", "json")
    assert listed.returncode == 0, listed.stderr.decode()
    theirs = [
        {k: v["value"] for k, v in b.items()}
        for b in json.loads(listed.stdout)["results"]["bindings"]
    ]
    with trecrate.Archive(store) as archive:
        releases = archive.releases()
        assert [r["request"] for r in releases] == [r["request"] for r in theirs]
        assert [r["zipSha256"] for r in releases] == [r["zipSha256"] for r in theirs]
        assert all(isinstance(r["files"], int) and r["current"] is True for r in releases)
        # The archive is locked while open.
        busy = cli("releases", "--store", store)
        assert busy.returncode == 2 and b"locked" in busy.stderr
        by_checker = archive.builtin("releases-by-checker", checker="Grace Mensah")
        assert {r["request"] for r in by_checker} == {"AR-2025-0042"}
        rows = archive.query(
            "PREFIX a: <https://w3id.org/trecrate/archive#> "
            "SELECT ?files WHERE { ?g a:requestId ?request ; a:fileCount ?files }",
            request="AR-2026-0003",
        )
        assert rows == [{"files": 1}]
        assert archive.query("ASK { ?s ?p ?o }") is True
        turtle = archive.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3")
        assert isinstance(turtle, str) and turtle.strip()
        with pytest.raises(trecrate.InputError):
            archive.builtin("no-such-query")
    # Closed: the command line may use it again.
    assert cli("releases", "--store", store).returncode == 0
    with pytest.raises(trecrate.InputError):
        trecrate.Archive(tmp_path / "not-an-archive")


def test_an_exception_of_on_progress_stops_the_release_leaving_nothing(tmp_path):
    example = EXAMPLES[1]

    def fail_on_payload(event):
        if event["event"] == "payload":
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        trecrate.release(
            example / "release.json", example / "quarantine", tmp_path / "out",
            on_progress=fail_on_payload,
        )
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_ctrl_c_stops_a_release_leaving_nothing(tmp_path):
    example = EXAMPLES[1]
    out = tmp_path / "out"
    # SIGINT is sent, as Ctrl-C sends it, once the payload is being written.
    script = f"""
import os, signal, trecrate
def progress(event):
    if event["event"] == "payload":
        os.kill(os.getpid(), signal.SIGINT)
try:
    trecrate.release({str(example / "release.json")!r}, {str(example / "quarantine")!r}, {str(out)!r}, on_progress=progress)
except KeyboardInterrupt:
    print("interrupted")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.stdout.decode().strip() == "interrupted", done.stderr.decode()
    assert not out.exists() or list(out.iterdir()) == []
