"""Text normalisation shared by commands, intent detection and search.

Two different jobs, kept apart on purpose:

* `clean_inbound` makes what a person typed safe to handle and store: it removes bidi controls
  and other invisible characters, keeps the text otherwise as written, and caps its length.
* `fold` makes a *matching key*: it forgets everything that should not change what a word means
  (letter variants of Arabic-script keyboards, diacritics, tatweel, ZWNJ, native digits, ё/е,
  Turkish dotted/dotless i, case, accents). Never show a folded string to anyone.
"""
from __future__ import annotations

import re
import unicodedata

MAX_INBOUND_CHARS = 2000

# Bidi controls, zero-width characters, BOM, soft hyphen, variation selectors; ZWNJ is handled
# by `fold` only, since it is part of correct Persian spelling in text we keep.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200D, 0x200E, 0x200F, 0x061C, 0x2060, 0xFEFF, 0x00AD, 0x180E]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A)),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# Arabic-script letter variants folded to one matching form. We fold towards the Persian/Urdu
# letters (ی ک ه), because Arabic speakers' text folds the same way and Pashto, Dari and Urdu
# users typing on Arabic keyboards (Gul Agha) produce the Arabic letters.
_LETTERS = str.maketrans({
    "ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ێ": "ی", "ے": "ی", "ئ": "ی", "ۓ": "ی",
    "ك": "ک", "ګ": "گ", "ڪ": "ک",
    "ة": "ه", "ۀ": "ه", "ہ": "ه", "ە": "ه", "ھ": "ه", "ۃ": "ه",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ؤ": "و", "ۆ": "و",
    # Pashto, Urdu and Sorani letters typed as their base letter on Arabic/Persian keyboards.
    "ټ": "ت", "ٹ": "ت", "ډ": "د", "ڈ": "د", "ړ": "ر", "ڑ": "ر", "ڕ": "ر", "ږ": "ز",
    "ښ": "ش", "ڼ": "ن", "ں": "ن", "ڵ": "ل", "ڤ": "ف",
    "ё": "е", "Ё": "е",
    "ı": "i", "İ": "i",
    # ZWNJ (Persian half-space) joins: people mostly type "میخواهم" without it.
    "ـ": None, "\u200c": None, "\u200d": None,
})
_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u08D3-\u08FF]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def clean_inbound(text: str, limit: int = MAX_INBOUND_CHARS) -> tuple[str, bool]:
    """Strip invisible characters and cap the length. Returns (text, was_cut)."""
    text = unicodedata.normalize("NFC", text or "").translate(_INVISIBLE)
    text = _CONTROL.sub("", text).strip()
    if len(text) > limit:
        return text[:limit].rstrip(), True
    return text, False


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and Persian (۰-۹) digits to 0-9."""
    return text.translate(DIGITS)


def _strip_accents(text: str) -> str:
    # Latin and Cyrillic accents go (é→e, ç→c); Arabic-script combining marks were removed
    # already; Ethiopic has no combining marks to lose.
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """The matching key of `text`: lower-case, unaccented, letter variants unified, one space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = _MARKS.sub("", text).translate(_LETTERS).translate(DIGITS)
    text = _strip_accents(text.lower())
    text = unicodedata.normalize("NFC", text)
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Folded words of `text`."""
    folded = fold(text)
    return folded.split() if folded else []


def parse_number(text: str) -> int | None:
    """A menu choice typed in any digits ("2", "٢", "۲", " 2. "), else None."""
    candidate = to_ascii_digits(text).strip().rstrip(".)")
    if candidate.isascii() and candidate.isdigit() and len(candidate) <= 3:
        return int(candidate)
    return None
