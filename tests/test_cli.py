"""The `rahnama` command line: scripted chat, resumed chat, queued messages, bad configuration."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.core import outbox
from bot.core.messages import OutboundMessage
from bot.storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
RAHNAMA = [sys.executable, "-m", "bot.cli"]


def rahnama(args: list[str], db_url: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "RAHNAMA_DATABASE_URL": db_url, "RAHNAMA_CONTENT_WATCH_SECONDS": "0", **(env or {})}
    return subprocess.run(RAHNAMA + args, input=stdin, capture_output=True, text=True, env=full_env,
                          cwd=ROOT, timeout=120)


def replies(result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_scripted_json_conversation(db_url):
    script = "\n".join(["hello", '{"button": "lang:en"}', '{"button": "consent:yes"}', "help", "۰",
                        '{"media": "voice"}', '{"location": [42.69, 23.32]}']) + "\n"
    out = replies(rahnama(["chat", "--json", "--user", "script-1"], db_url, script))
    assert out[0]["buttons"][0]["payload"].startswith("lang:")
    assert any("How to use Rahnama" in r["text"] for r in out)
    assert all(set(r) >= {"text", "buttons"} for r in out)
    menus = [r for r in out if any(b["payload"] == "cmd:language" for b in r["buttons"])]
    assert len(menus) >= 2  # after consent and after "۰"


def test_conversation_resumes_with_the_same_user(db_url):
    replies(rahnama(["chat", "--json", "--user", "resume"], db_url, 'hello\n{"button": "lang:fr"}\n'))
    out = replies(rahnama(["chat", "--json", "--user", "resume"], db_url, '{"button": "consent:yes"}\n'))
    assert any(any(b["payload"] == "cmd:language" for b in r["buttons"]) for r in out)


async def test_messages_queued_while_away_are_printed_at_start(db_url):
    replies(rahnama(["chat", "--json", "--user", "away"], db_url, "hello\n"))
    db = Database(db_url)
    from sqlalchemy import select

    from bot.storage.models import User
    async with db.write() as session:
        user_id = await session.scalar(select(User.id).where(User.channel_user_id == "away"))
        await outbox.enqueue(session, channel="console", user_id=user_id,
                             messages=[OutboundMessage(text="A reply from Mariam", from_person=True)])
    await db.dispose()
    out = replies(rahnama(["chat", "--json", "--user", "away"], db_url, ""))
    assert out == [{"text": "A reply from Mariam", "buttons": [], "from_person": True}]


def test_plain_text_mode_numbers_the_choices(db_url):
    result = rahnama(["chat", "--user", "plain"], db_url, "hello\n")
    assert result.returncode == 0
    assert "1. English" in result.stdout


def test_bad_configuration_fails_with_one_line_naming_the_variable(db_url):
    result = rahnama(["chat"], db_url, "", env={"RAHNAMA_LANGUAGES": "en,xx"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "RAHNAMA_LANGUAGES" in lines[0] and "xx" in lines[0]
    result = rahnama(["chat"], db_url, "", env={"RAHNAMA_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2 and "RAHNAMA_TIMEZONE" in result.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    result = rahnama(["worker"], url)
    assert result.returncode == 2
    assert "rahnama db upgrade" in result.stderr
