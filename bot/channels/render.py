"""Shared helpers for adapters: splitting long texts and numbered menus for plain-text channels."""
from __future__ import annotations

from collections.abc import Callable

from bot.core.messages import OutboundMessage


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cut a long text into parts under `limit`: at paragraph breaks, else lines, else words."""
    if measure(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = ""
        if measure(paragraph) <= limit:
            current = paragraph
        else:
            parts.extend(_split_long(paragraph, limit, measure))
    if current:
        parts.append(current)
    return parts


def _split_long(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """A paragraph longer than the limit: by lines, then by words, then hard."""
    parts, current = [], ""
    for token in _tokens(text):
        candidate = current + token
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.rstrip())
        while measure(token) > limit:  # one enormous word: cut it
            cut = limit
            while measure(token[:cut]) > limit:
                cut -= 1
            parts.append(token[:cut])
            token = token[cut:]
        current = token.lstrip()
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _tokens(text: str) -> list[str]:
    tokens, word = [], ""
    for ch in text:
        word += ch
        if ch in " \n":
            tokens.append(word)
            word = ""
    if word:
        tokens.append(word)
    return tokens


def numbered(message: OutboundMessage) -> str:
    """The message as text with its choices numbered (for channels without buttons): people
    answer with the number, in any digits."""
    return message.numbered_text()
