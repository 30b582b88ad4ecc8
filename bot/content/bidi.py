"""Unicode bidi isolation for replies that mix right-to-left text with numbers, URLs and names.

Isolates (UAX #9) keep a phone number or a URL from being reordered by the Arabic around it, and
keep an Arabic name from scrambling an English sentence. We use LRI…PDI for things that are
always left-to-right (phone numbers, URLs, references) because first-strong detection (FSI) is
not reliable for them, and FSI…PDI for names and free text whose direction we do not know.
"""
from __future__ import annotations

import unicodedata

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
RLM = "\u200f"
_ISOLATES = (LRI, RLI, FSI)


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def is_isolated(text: str) -> bool:
    return text[:1] in _ISOLATES and text.endswith(PDI)


def ltr(text: str) -> str:
    """Isolate an always-left-to-right island (phone number, URL, code, e-mail)."""
    if not text or is_isolated(text):
        return text
    return f"{LRI}{text}{PDI}"


def auto(text: str) -> str:
    """Isolate a value of unknown direction (a name, an address, a user's words)."""
    if not text or is_isolated(text):
        return text
    return f"{FSI}{text}{PDI}"


def embed(value: str, rtl_context: bool) -> str:
    """Isolate `value` where it needs it: any LTR island in RTL text, any RTL value in LTR text."""
    if not value or is_isolated(value):
        return value
    value_rtl = has_rtl(value)
    if rtl_context and not value_rtl:
        return ltr(value)
    if value_rtl and not rtl_context:
        return f"{RLI}{value}{PDI}"
    return value


def strip_controls(text: str) -> str:
    """Remove isolates and marks (for length checks and plain-text logs)."""
    return text.translate(dict.fromkeys(map(ord, (LRI, RLI, FSI, PDI, RLM, "\u200e"))))
