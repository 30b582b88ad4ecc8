"""Which channels this deployment runs: web chat and console always, providers when configured."""
from __future__ import annotations

from typing import Any

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.web import WebChannel
from bot.config import Settings


def build_channels(settings: Settings, runtime: Any) -> dict[str, Channel]:
    channels: list[Channel] = [WebChannel(runtime), ConsoleChannel()]
    return {channel.name: channel for channel in channels}
