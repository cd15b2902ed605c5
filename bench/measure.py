"""What the bench scripts share: timing a child process, and the synthetic exports."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(argv, ok_codes=(0,), stderr=None):
    """Runs argv; returns (wall s, CPU s, peak RSS MB). Peak RSS is the kernel's accounting of
    the child (wait4 ru_maxrss). Exits if the child's status is not in ok_codes. `stderr`, an
    open file, receives the child's standard error."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        sys.exit(f"{argv[0]} exited {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def synthetic_export(work, n):
    """The export of n files under work/, written by synth.py once and reused."""
    export_dir = work / f"export-{n}"
    if not (export_dir / "release.json").exists():
        shutil.rmtree(export_dir, ignore_errors=True)
        subprocess.run([sys.executable, str(HERE / "synth.py"), str(export_dir), str(n)], check=True)
    return export_dir
