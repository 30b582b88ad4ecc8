"""Kill the process between commit and send: after a restart the reply goes out exactly once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

NODE = Path(__file__).parent / "scripts" / "crash_node.py"


def start(mode: str, db_url: str, sent: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.Popen([sys.executable, str(NODE), mode, db_url, str(sent)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_reply_committed_then_killed_is_sent_exactly_once_after_restart(db_url, tmp_path):
    sent = tmp_path / "sent.jsonl"
    node = start("handle", db_url, sent)
    try:
        assert node.stdout.readline().strip() == "committed"
    finally:
        node.send_signal(signal.SIGKILL)
        node.wait(10)
    assert not sent.exists()  # killed between commit and send: nothing went out yet

    for _ in range(2):  # a second restart must not send it again
        worker = start("deliver", db_url, sent)
        out, _ = worker.communicate(timeout=60)
        assert "drained" in out
    lines = [json.loads(line) for line in sent.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["to"] == "crash-person" and "language" in lines[0]["text"].lower()
