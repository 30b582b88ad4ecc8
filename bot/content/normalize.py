"""Text normalisation shared by commands, intent detection and search.

Two different jobs, kept apart on purpose:

* `clean_inbound` makes what a person typed safe to handle and store: it removes bidi controls
  and other invisible characters, keeps the text otherwise as written, and caps its length.
* `fold` makes a *matching key*: it forgets everything that should not change what a word means
  (letter variants of Arabic-script keyboards, diacritics, tatweel, ZWNJ, native digits, ё/е,
  Turkish dotted/dotless i, case, accents, Ge'ez -a/-ä syllables). Never show a folded string to anyone.
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


_HAS_ETHIOPIC = re.compile("[\u1200-\u137f]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _ethiopic(text: str) -> str:
    """Ge'ez: the 4th-order (-a) syllable of a consonant folds to the 1st (-ä): people type ሓ/ሐ,
    ኣ/አ interchangeably; the older homophone letters ሠ and ፀ fold to ሰ and ጸ."""
    if not _HAS_ETHIOPIC.search(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0x1200 <= code <= 0x1357:
            if (code - 0x1200) % 8 == 3:
                code -= 3
            if 0x1220 <= code <= 0x1227:      # ሠ series → ሰ series
                code += 0x10
            elif 0x1340 <= code <= 0x1347:    # ፀ series → ጸ series
                code -= 0x10
        out.append(chr(code))
    return "".join(out)


def _strip_accents(text: str) -> str:
    # Latin and Cyrillic accents go (é→e, ç→c, й→и); Arabic-script combining marks were removed
    # already; Ethiopic has no combining marks to lose.
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFD", text))


def fold(text: str) -> str:
    """The matching key of `text`: lower-case, unaccented, letter variants unified, one space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = _MARKS.sub("", text).translate(_LETTERS).translate(DIGITS)
    text = _ethiopic(_strip_accents(text.lower()))
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
