"""Run every benchmark and print its figures (`python3 dev.py bench`).

PostgreSQL runs are skipped, with a note, when no server answers on 127.0.0.1:5432.
"""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def main() -> int:
    runs = [["throughput.py", "--db", "sqlite"]]
    if postgres_up():
        runs.append(["throughput.py", "--db", "postgres"])
    else:
        print("(PostgreSQL not reachable on 127.0.0.1:5432: skipping the PostgreSQL run)")
    for extra in ("search_speed.py", "search_quality.py"):
        if (HERE / extra).exists():
            runs.append([extra])
    status = 0
    for args in runs:
        print(f"\n$ python benchmarks/{' '.join(args)}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]])
    return status


if __name__ == "__main__":
    sys.exit(main())
