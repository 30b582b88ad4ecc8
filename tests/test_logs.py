"""Logs never carry what people wrote or who they are (unless the debug flag says so)."""
from __future__ import annotations

import logging

import pytest

from bot.core.dispatcher import Dispatcher, Router
from bot.logs import JsonFormatter

SECRET = "my husband hits me at Vitosha 12 call +359888123456"


@pytest.fixture(autouse=True)
def _logging(production_logging):
    return production_logging


def formatted(caplog, personal: bool = False) -> str:
    formatter = JsonFormatter(personal=personal)
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_conversation_logs_hold_no_text_or_identifier(caplog, onboarded):
    caplog.set_level(logging.DEBUG)
    await onboarded.say(SECRET)
    output = formatted(caplog)
    assert "message handled" in output
    for secret in (SECRET, "+359888123456", "Vitosha 12", onboarded.user):
        assert secret not in output


async def test_a_crash_is_logged_without_the_message(caplog, runtime, onboarded):
    router = Router("boom")

    @router.fallback()
    async def boom(turn):
        raise ValueError(f"could not handle {turn.text}")

    runtime.dispatcher = Dispatcher([router])
    caplog.set_level(logging.INFO)
    await onboarded.say(SECRET)
    output = formatted(caplog)
    assert "handler failed" in output and "ValueError" in output
    assert "+359888123456" not in output
    assert "+359888123456" in formatted(caplog, personal=True)  # the developer's debug flag
