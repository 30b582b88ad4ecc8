"""Every shipped language is complete for the interface; whole conversations in Pashto and Ukrainian."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from bot.config import ROOT, SUPPORTED_LANGUAGES
from bot.content import catalogs
from bot.content.pofile import custom_headers, read_headers

LOCALES = ROOT / "locales"
TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != "en"]


@pytest.fixture(scope="module")
def coverage():
    return {(row.lang, row.domain): row for row in catalogs.coverage(LOCALES, list(SUPPORTED_LANGUAGES), ROOT / "content")}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_interface_is_complete_and_current(coverage, lang):
    row = coverage[(lang, "interface")]
    assert row.exists and row.missing == 0 and row.fuzzy == 0, f"{lang}: {row.missing} missing, {row.fuzzy} stale"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_drafted_catalogs_say_they_need_a_native_review(lang):
    for domain in ("interface", "content"):
        headers = custom_headers(catalogs.po_path(LOCALES, lang, domain))
        status = headers["X-Review-Status"]
        assert status.startswith("needs-review") or status.startswith("reviewed by"), (lang, domain, status)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_header_matches_our_table(lang):
    for domain in ("interface", "content"):
        headers = read_headers(catalogs.po_path(LOCALES, lang, domain))
        assert headers["Plural-Forms"] == catalogs.plural_forms(lang) and headers["Language"] == lang


def chat(db_url: str, user: str, lines: list[str]) -> list[dict]:
    env = {**os.environ, "RAHNAMA_DATABASE_URL": db_url, "RAHNAMA_CONTENT_WATCH_SECONDS": "0"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--json", "--user", user], cwd=ROOT, env=env,
                            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


PASHTO_LETTERS = re.compile("[ټډړږښګڼېۍځڅ]")


def test_a_conversation_held_entirely_in_pashto(db_url):
    replies = chat(db_url, "gul-agha", ["سلام", '{"button": "lang:ps"}', '{"button": "consent:yes"}', "ډاکتر", "۱",
                                        "0", '{"button": "cmd:my_requests"}'])
    after_choice = replies[1:]
    for reply in after_choice:
        assert not reply["text"].startswith(("How can I", "Before we start", "You have no requests")), reply["text"]
    menu = next(r for r in after_choice if any(b["payload"] == "cmd:complaint" for b in r["buttons"]))
    assert all(PASHTO_LETTERS.search(b["label"]) or re.search("[\u0600-\u06ff]", b["label"]) for b in menu["buttons"])
    card = next(r for r in replies if "🕘" in r["text"])
    assert "۰" in card["text"] or "۹" in card["text"] or "۸" in card["text"]  # Persian digits in times
    assert any(day in card["text"] for day in ("دونۍ", "درېنۍ", "څلرنۍ", "پينځنۍ", "جمعه", "اونۍ", "يونۍ"))


def test_a_conversation_held_entirely_in_ukrainian(db_url):
    replies = chat(db_url, "olena", ["привіт", '{"button": "lang:uk"}', '{"button": "consent:yes"}', "школа для сина",
                                     "1", '{"button": "cmd:complaint"}', '{"button": "cmd:cancel"}', "мова"])
    cyrillic = re.compile("[а-яіїєґ]", re.I)
    for reply in replies[1:]:
        letters = re.sub(r"[^\w]", "", reply["text"])
        assert cyrillic.search(reply["text"]) or not letters, reply["text"]
    results = next(r for r in replies if r["text"].startswith("🔎"))
    assert re.search(r"\d+ (місце|місця|місць)", results["text"])  # a Ukrainian plural form
    assert any(b["payload"] == "lang:uk" for b in replies[-1]["buttons"])
