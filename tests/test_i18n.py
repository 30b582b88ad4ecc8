"""Translations: plural rules against CLDR, fallback chains, placeholders, stale detection, bidi."""
from __future__ import annotations

import gettext
import shutil
from datetime import date, time
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog

from bot.config import ROOT, load_settings
from bot.content import bidi, catalogs
from bot.content.check import balanced, run
from bot.content.i18n import Translator, fallback_chain, load_catalogs
from bot.content.pofile import custom_headers, read_catalog, read_headers, write_catalog

LANGUAGES = ["ar", "fa", "fa_AF", "ps", "ur", "uk", "ru", "tr", "ckb", "kmr", "so", "ti", "fr", "bg"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_header_agrees_with_cldr(lang):
    """Our header picks, for every integer, the form of the CLDR category (Babel's own table
    swaps Arabic forms 4 and 5, python-babel#816, and gives Farsi and Turkish one form)."""
    formula = catalogs.plural_forms(lang)
    nplurals = int(formula.split("nplurals=")[1].split(";")[0])
    expression = gettext.c2py(formula.split("plural=")[1].rstrip(";"))
    categories = catalogs.PLURAL_CATEGORIES.get(lang, ("one", "other"))
    assert len(categories) == nplurals
    locale = Locale.parse(lang)
    for n in list(range(0, 250)) + [1000, 1001, 1002, 1011, 100000]:
        cldr = locale.plural_form(n)
        expected = categories.index(cldr) if cldr in categories else len(categories) - 1
        assert expression(n) == expected, (lang, n, cldr)


def test_arabic_forms_for_0_1_2_3_11_100():
    expression = gettext.c2py(catalogs.plural_forms("ar").split("plural=")[1].rstrip(";"))
    assert [expression(n) for n in (0, 1, 2, 3, 11, 100, 101, 111)] == [0, 1, 2, 3, 4, 5, 5, 4]


def test_fallback_chain():
    assert fallback_chain("fa_AF") == ("fa_AF", "fa", "en")
    assert fallback_chain("uk") == ("uk", "en")  # never Russian
    assert fallback_chain("ps", default="bg") == ("ps", "bg", "en")


def make_catalog(locales: Path, lang: str, domain: str, entries: dict, plural: str | None = None) -> Path:
    catalog = catalogs.new_catalog(lang, domain)
    catalog.mime_headers = [("Plural-Forms", plural or catalogs.plural_forms(lang))]
    for key, value in entries.items():
        context, msgid = key if isinstance(key, tuple) else (None, key)
        catalog.add(msgid, value, context=context)
    path = catalogs.po_path(locales, lang, domain)
    write_catalog(path, catalog, {"X-Review-Status": "reviewed by Test, 2026-11-01"}, language=lang)
    return path


def test_missing_translation_falls_back_along_the_chain_never_to_an_id(tmp_path):
    make_catalog(tmp_path, "fa", "interface", {"Main menu": "منوی اصلی", "Help": "راهنما"})
    make_catalog(tmp_path, "fa_AF", "interface", {"Main menu": "مینوی عمومی"})
    translator = Translator("fa_AF", load_catalogs([tmp_path], ["fa_AF", "fa", "en"]))
    assert translator.t("Main menu") == "مینوی عمومی"
    assert translator.t("Help") == "راهنما"               # from Farsi
    assert translator.t("Privacy") == "Privacy"          # English source text, never a key


def test_plural_translation_uses_the_catalogs_rule(tmp_path):
    forms = ("لا نتائج", "نتيجة واحدة", "نتيجتان", "{n} نتائج", "{n} نتيجة", "{n} نتيجة")
    catalog = catalogs.new_catalog("ar", "interface")
    catalog.mime_headers = [("Plural-Forms", catalogs.plural_forms("ar"))]
    catalog.add(("{n} result", "{n} results"), forms)
    write_catalog(catalogs.po_path(tmp_path, "ar", "interface"), catalog, {}, language="ar")
    translator = Translator("ar", load_catalogs([tmp_path], ["ar"]))
    assert translator.tn("{n} result", "{n} results", 0) == "لا نتائج"
    assert translator.tn("{n} result", "{n} results", 2) == "نتيجتان"
    assert bidi.strip_controls(translator.tn("{n} result", "{n} results", 3)) == "3 نتائج"
    assert bidi.strip_controls(translator.tn("{n} result", "{n} results", 11)) == "11 نتيجة"


def test_broken_placeholder_never_breaks_a_reply(tmp_path):
    make_catalog(tmp_path, "tr", "interface", {"Your reference is {ref}": "Referansınız {referans}"})
    translator = Translator("tr", load_catalogs([tmp_path], ["tr"]))
    assert translator.t("Your reference is {ref}", None, ref="A-1") == "Your reference is A-1"


def test_check_reports_placeholder_errors(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    locales = tmp_path / "locales"
    make_catalog(locales, "ps", "content", {("text/welcome", load_text("welcome")): "سلام، زه رهنما یم"})
    report, _version = run(load_settings(content_dir=content, locales_dir=locales, languages="en,ps"))
    assert any("placeholders" in error and "text/welcome" in error for error in report.errors)


def load_text(text_id: str) -> str:
    import yaml

    return yaml.safe_load((ROOT / "content" / "texts.yaml").read_text())[text_id]


def test_changed_source_text_becomes_stale_and_is_not_used(tmp_path):
    """Editor changes an English service description: the Pashto translation becomes fuzzy
    (shown as stale in coverage), and people get English until a translator updates it."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    locales = tmp_path / "locales"
    catalogs.extract(content, locales)
    catalogs.update(locales, ["ps"])
    path = catalogs.po_path(locales, "ps", "content")
    catalog = read_catalog(path)
    context = "service/asylum-legal-advice/name"
    target = next(m for m in catalog if m.context == context)
    old_source = target.id
    target.string = "د پناه غوښتنې وړیا حقوقي مشوره"
    write_catalog(path, catalog, custom_headers(path), language="ps")

    services = content / "services" / "legal-aid.yaml"
    services.write_text(services.read_text().replace(old_source, "Free legal advice on asylum and appeals"))
    catalogs.extract(content, locales)
    catalogs.update(locales, ["ps"])

    updated = next(m for m in read_catalog(path) if m.context == context)
    assert updated.id == "Free legal advice on asylum and appeals"
    assert updated.fuzzy and updated.string == "د پناه غوښتنې وړیا حقوقي مشوره"
    assert updated.previous_id == [old_source]
    row = next(r for r in catalogs.coverage(locales, ["ps"]) if r.domain == "content")
    assert row.fuzzy == 1
    translator = Translator("ps", load_catalogs([locales], ["ps"]))
    assert translator.lookup("Free legal advice on asylum and appeals", context) == "Free legal advice on asylum and appeals"


def test_review_status_and_digits_survive_an_update(tmp_path):
    locales = tmp_path / "locales"
    catalogs.extract(ROOT / "content", locales)
    catalogs.update(locales, ["fa"])
    path = catalogs.po_path(locales, "fa", "interface")
    headers = read_headers(path)
    assert headers["X-Review-Status"].startswith("needs-review")
    assert headers["X-Rahnama-Digits"] == "arabext"
    assert headers["Plural-Forms"] == catalogs.plural_forms("fa")
    catalog = read_catalog(path)
    write_catalog(path, catalog, {**custom_headers(path), "X-Review-Status": "reviewed by Soraya, 2026-11-20"}, language="fa")
    catalogs.update(locales, ["fa"])
    assert read_headers(path)["X-Review-Status"] == "reviewed by Soraya, 2026-11-20"
    rows = {r.domain: r for r in catalogs.coverage(locales, ["fa"])}
    assert rows["interface"].reviewed and not rows["content"].reviewed


def test_rtl_replies_isolate_phone_numbers_urls_and_latin_names(tmp_path):
    make_catalog(tmp_path, "ar", "interface", {"Call {phone} or visit {url} — ask for {name}.":
                                               "اتصل بـ {phone} أو زر {url} — اسأل عن {name}."})
    translator = Translator("ar", load_catalogs([tmp_path], ["ar"]))
    text = translator.t("Call {phone} or visit {url} — ask for {name}.", None,
                        phone="+359 2 000 1001", url="https://example.org/help", name="Maria Petrova")
    assert f"{bidi.LRI}+359 2 000 1001{bidi.PDI}" in text
    assert f"{bidi.LRI}https://example.org/help{bidi.PDI}" in text
    assert f"{bidi.LRI}Maria Petrova{bidi.PDI}" in text
    assert balanced(text)


def test_ltr_replies_isolate_right_to_left_names():
    translator = Translator("en", {})
    text = translator.t("Ask for {name} at the desk.", None, name="مریم")
    assert f"{bidi.RLI}مریم{bidi.PDI}" in text


@pytest.mark.parametrize("lang, weekday", [("ps", "دونۍ"), ("fa_AF", "دوشنبه"), ("uk", "понеділок"),
                                           ("ti", "ሰኑይ"), ("kmr", "duşem")])
def test_weekday_names_from_cldr(lang, weekday):
    assert Translator(lang, {}).weekday(0) == weekday


def test_native_digits_when_the_catalog_asks(tmp_path):
    make_catalog(tmp_path, "fa", "interface", {"x": "y"})
    path = catalogs.po_path(tmp_path, "fa", "interface")
    write_catalog(path, read_catalog(path), {"X-Rahnama-Digits": "arabext"}, language="fa")
    translator = Translator("fa", load_catalogs([tmp_path], ["fa"]))
    assert translator.time(time(9, 30)) == "۹:۳۰"
    assert translator.number(1234.5) == "۱٬۲۳۴٫۵"
    assert "۲۰۲۶" in translator.date(date(2026, 11, 23))
    english = Translator("en", {})
    assert english.number(1234.5) == "1,234.5" and english.distance(0.35) == "350 m"


def test_babel_knows_every_shipped_locale():
    for lang in LANGUAGES + ["en"]:
        assert Locale.parse(lang).days["format"]["wide"][0]
    assert Locale.parse("kmr").language == "ku"  # Kurmanji
    assert Locale.parse("fa_AF").territory == "AF"  # Dari


def test_content_extractor_gives_every_translated_field_a_context(tmp_path):
    catalogs.extract(ROOT / "content", tmp_path)
    template = read_catalog(tmp_path / "content.pot")
    contexts = {m.context for m in template if m.id}
    assert "city/name" in contexts
    assert "category/legal-aid/label" in contexts
    assert "page/asylum-procedure/body" in contexts
    assert "text/welcome" in contexts
    assert all(c and c.count("/") in (1, 2) for c in contexts)
    interface = read_catalog(tmp_path / "interface.pot")
    assert any(m.id == "Main menu" for m in interface)


def test_catalog_without_review_header_counts_as_not_reviewed(tmp_path):
    catalog = Catalog(locale="ru")
    path = catalogs.po_path(tmp_path, "ru", "interface")
    write_catalog(path, catalog, {}, language="ru")
    catalogs.extract(ROOT / "content", tmp_path)
    rows = catalogs.coverage(tmp_path, ["ru"])
    assert not any(r.reviewed for r in rows)
