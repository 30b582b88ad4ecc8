"""Which channels this deployment runs: web chat and console always, providers when configured.

A provider whose settings are absent is off, and its webhook route does not exist (404).
"""
from __future__ import annotations

from typing import Any

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.web import WebChannel
from bot.config import Settings


def build_channels(settings: Settings, runtime: Any) -> dict[str, Channel]:
    channels: list[Channel] = [WebChannel(runtime), ConsoleChannel()]
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(settings))
    if settings.twilio_enabled:
        from bot.channels.twilio import TwilioWhatsAppChannel

        channels.append(TwilioWhatsAppChannel(settings, runtime))
    elif settings.meta_enabled:
        from bot.channels.meta import MetaWhatsAppChannel

        channels.append(MetaWhatsAppChannel(settings, runtime))
    return {channel.name: channel for channel in channels}
