#!/usr/bin/env python3
"""Set-up and everyday commands for a fresh machine that has only Python 3.11+.

    python3 dev.py run     # create .venv, install, migrate, load content, serve on :8000
    python3 dev.py test    # create .venv, install with test extras, run the whole suite
    python3 dev.py bench   # run every benchmark in benchmarks/

Each command creates `.venv` on first use and reinstalls only when pyproject.toml changed.
Extra arguments are passed on (`python3 dev.py test -k dispatcher`).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".rahnama-installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Rahnama needs Python 3.11 or newer; run this file with python3.11.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing Rahnama and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    return subprocess.call([str(BIN / "rahnama"), "run", *args], cwd=ROOT)


def test(args: list[str]) -> int:
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *args], cwd=ROOT)


def bench(args: list[str]) -> int:
    return subprocess.call([str(BIN / "python"), str(ROOT / "benchmarks" / "run_all.py"), *args], cwd=ROOT)


COMMANDS = {"run": run, "test": test, "bench": bench}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    ensure_venv()
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
