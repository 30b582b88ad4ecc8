"""Multilingual service search, offline: folded text, fuzzy terms, category synonyms.

Built once per content version (and swapped with it), so a query never scans the database.

How a query is scored:
1. It is folded (letter variants, diacritics, digits, case: see normalize.fold) and split into
   words; filler words of the person's language (and of the language the query is written in)
   are dropped; Arabic words also try themselves without the article (المستشفى → مستشفى).
2. Each word is matched to index terms: exactly, by prefix, or with typos (rapidfuzz ratio,
   among terms of similar length only, so it stays fast on a large directory).
3. Category evidence: the synonyms of every language (content/lexicon) are phrases; a phrase
   whose words all appear gives its category a score. This is how "داکتر" (Dari) finds a clinic
   whose text exists only in English and Bulgarian.
4. Text evidence: matched words in service names (weight 3), keywords (2.5), organisation names
   (1.5) and descriptions (1), in every translation, weighted by rarity (idf).
5. A service scores its best category plus its text evidence, with a small bonus when staff there
   speak the person's language; results can be restricted to open-now and ordered by distance.
"""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.content import hours as opening
from bot.content.geo import distance_km
from bot.content.langdetect import detect_language
from bot.content.normalize import fold
from bot.content.schema import Service
from bot.content.typos import TypoMatcher

if TYPE_CHECKING:
    from bot.content.store import ContentVersion

FIELD_WEIGHTS = {"name": 3.0, "keywords": 2.5, "organisation": 1.5, "description": 1.0, "eligibility": 0.5}
CATEGORY_WEIGHT = 10.0
SECONDARY_CATEGORY = 0.85
LANGUAGE_BONUS = 1.5
MIN_SCORE = 4.0
COMMON_TERM_SHARE = 0.3  # words in more than 30% of services say little about any one of them
ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
LANGUAGE_FAMILY = {"fa_AF": "fa", "ar_Latn": "ar", "fa_Latn": "fa", "ur_Latn": "ur"}


_CYRILLIC = {
    "common": dict(zip("абвгдежзийклмнопрстуфцчшыэ", ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l",
                                                     "m", "n", "o", "p", "r", "s", "t", "u", "f", "ts", "ch", "sh",
                                                     "y", "e"])),
    "ru": {"х": "kh", "щ": "shch", "ъ": "", "ь": "", "ё": "yo", "ю": "yu", "я": "ya"},
    "uk": {"г": "h", "ґ": "g", "и": "y", "і": "i", "ї": "yi", "є": "ye", "х": "kh", "щ": "shch", "ь": "", "ю": "yu", "я": "ya"},
    "bg": {"х": "h", "щ": "sht", "ъ": "a", "ь": "", "ю": "yu", "я": "ya"},
}


def transliterate(text: str, lang: str) -> str:
    """Cyrillic in Latin letters, as people type it on a phone without a Cyrillic keyboard
    ("врач" → "vrach", "лекар" → "lekar")."""
    table = {**_CYRILLIC["common"], **_CYRILLIC.get(lang, {})}
    return "".join(table.get(ch, ch) for ch in text.lower())


def _words(text: str) -> list[str]:
    return fold(text).split()


def _variants(word: str) -> list[str]:
    """A word and, for Arabic-script words, the word without its article."""
    variants = [word]
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            variants.append(word[len(prefix):])
            break
    return variants


@dataclass
class Hit:
    service: Service
    score: float
    distance_km: float | None = None
    open_now: bool | None = None
    categories: tuple[str, ...] = ()


@dataclass
class Results:
    hits: list[Hit]
    total: int
    categories: list[tuple[str, float]] = field(default_factory=list)  # best matching categories

    @property
    def found(self) -> bool:
        return bool(self.hits)


class SearchIndex:
    """Everything a query needs, precomputed for one content version."""

    def __init__(self) -> None:
        self.services: list[Service] = []
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)  # term → {doc: field weight}
        self.idf: dict[str, float] = {}
        self.phrases: list[tuple[str, tuple[str, ...]]] = []            # (category, words)
        self.phrase_index: dict[str, list[int]] = defaultdict(list)     # word → phrases containing it
        self.by_category: dict[str, list[int]] = defaultdict(list)
        self.typos = TypoMatcher()                                      # names, keywords, synonyms
        self._fold_cache: dict[str, list[str]] = {}
        self.stopwords: dict[str, frozenset[str]] = {}
        self.languages: list[frozenset[str]] = []
        self.schedules: list[list[tuple[int, int]]] = []               # merged weekly intervals
        self.doc_categories: list[tuple[tuple[str, float], ...]] = []  # (category, weight) per service
        self.by_language: dict[str, set[int]] = {}                     # services where staff speak it
        self.name_rank: list[int] = []                                 # alphabetical order, for ties
        self.timezone: Any = None
        self.areas: dict[tuple[str, ...], Any] = {}       # folded name, alias or postcode → area
        self.modifiers: dict[tuple[str, ...], str] = {}   # "open now", "near me" in every language

    # -- building --------------------------------------------------------------------------
    @classmethod
    def build(cls, content: "ContentVersion") -> "SearchIndex":
        index = cls()
        index.timezone = content.tz
        for lang, lexicon in content.lexicons.items():
            index.stopwords[lang] = frozenset(w for entry in lexicon.stopwords for w in _words(entry))
            for category, entries in lexicon.categories.items():
                if category in content.categories:
                    for entry in entries:
                        index._add_phrase(category, entry)
                        if lang in ("ru", "uk", "bg"):
                            index._add_phrase(category, transliterate(entry, lang))
        for category in content.categories.values():
            for lang in content.catalog_languages:
                label = content.category_label(lang, category.id)
                index._add_phrase(category.id, label)
                # Each word of a label names the category too: "health" for "Health and doctors".
                stop = index.stopwords.get(lang, frozenset())
                for word in _words(label):
                    if len(word) >= 4 and word not in stop:
                        index._add_phrase(category.id, word)
        for service in content.services.values():
            index._add_service(content, service)
        index._add_areas(content)
        for lexicon in content.lexicons.values():
            for modifier in ("open_now", "near"):
                for entry in lexicon.commands.get(modifier, ()):
                    words = tuple(_words(entry))
                    if words:
                        index.modifiers[words] = modifier
        index._finish()
        detect_language("warm up the language model", ["en"])  # load it now, not on a first query
        return index

    def _add_phrase(self, category: str, text: str) -> None:
        words = tuple(w for word in _words(text) for w in _variants(word)[-1:])
        if not words:
            return
        self.phrases.append((category, words))
        for word in set(words):
            self.phrase_index[word].append(len(self.phrases) - 1)
            self._fuzzy_candidate(word)

    def _add_service(self, content: "ContentVersion", service: Service) -> None:
        doc = len(self.services)
        self.services.append(service)
        self.languages.append(frozenset(LANGUAGE_FAMILY.get(code, code) for code in service.languages))
        for code in self.languages[-1]:
            self.by_language.setdefault(code, set()).add(doc)
        self.doc_categories.append(tuple((c, 1.0 if i == 0 else SECONDARY_CATEGORY)
                                         for i, c in enumerate(service.categories)))
        self.schedules.append(opening.intervals(service.hours))
        for category in service.categories:
            self.by_category[category].append(doc)
        organisation = content.organisations[service.organisation]
        texts: set[tuple[str, str]] = {("keywords", " ".join(service.keywords))}
        for lang in content.catalog_languages:
            texts.update((name, content.field(lang, "service", service, name)) for name in ("name", "description", "eligibility"))
            texts.add(("organisation", content.field(lang, "organisation", organisation, "name")))
        for name, text in texts:
            weight = FIELD_WEIGHTS[name]
            for word in self._cached_words(text):
                postings = self.postings[word]
                if postings.get(doc, 0.0) < weight:
                    postings[doc] = weight
                if name != "description" and name != "eligibility":
                    self._fuzzy_candidate(word)

    def _add_areas(self, content: "ContentVersion") -> None:
        for area in content.areas.values():
            names = [content.field(lang, "area", area, "name") for lang in content.catalog_languages]
            for text in [*names, *area.aliases, *area.postcodes]:
                words = tuple(_words(text))
                if words:
                    self.areas.setdefault(words, area)
            bare = tuple(_words(area.name.split("(")[0]))  # "Sredets (city centre)" → "sredets"
            if bare:
                self.areas.setdefault(bare, area)

    def understand(self, query: str) -> tuple[str, Any, bool, bool]:
        """Split a query into (what is needed, an area, open now?, near me?).

        "doctor open now in Lozenets" → ("doctor", Lozenets, True, False). One-word modifiers
        ("open", "near") count only as the whole message: "open a bank account" is a need.
        """
        words = _words(query)
        area, open_now, near = None, False, False
        used: set[int] = set()
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                span = tuple(words[start:start + size])
                if used & set(range(start, start + size)):
                    continue
                if area is None and span in self.areas:
                    area = self.areas[span]
                elif span in self.modifiers and (size > 1 or len(words) == 1):
                    open_now |= self.modifiers[span] == "open_now"
                    near |= self.modifiers[span] == "near"
                else:
                    continue
                used.update(range(start, start + size))
        rest = " ".join(word for i, word in enumerate(words) if i not in used)
        return rest, area, open_now, near

    def _fuzzy_candidate(self, word: str) -> None:
        self.typos.add(word)

    def _cached_words(self, text: str) -> list[str]:
        """Folded words with Arabic variants; the same English text recurs in every language
        without a translation, so folding is cached while building."""
        found = self._fold_cache.get(text)
        if found is None:
            found = [variant for word in _words(text) for variant in _variants(word)]
            self._fold_cache[text] = found
        return found

    def _finish(self) -> None:
        self._fold_cache.clear()
        order = sorted(range(len(self.services)), key=lambda doc: self.services[doc].name)
        self.name_rank = [0] * len(order)
        for rank, doc in enumerate(order):
            self.name_rank[doc] = rank
        total = max(1, len(self.services))
        for term, docs in list(self.postings.items()):
            share = len(docs) / total
            if share > COMMON_TERM_SHARE and total >= 20:
                del self.postings[term]
                continue
            self.idf[term] = math.log(1 + total / len(docs))

    # -- querying --------------------------------------------------------------------------
    def query_words(self, query: str, lang: str) -> list[tuple[list[str], bool]]:
        """The query's words, each with its variants and whether it is a filler word.

        Filler words ("help", "I need", "where") never count as evidence by themselves, but
        they can complete a synonym phrase ("مساعدة مالية": financial help).
        """
        detected = detect_language(query, list(self.stopwords)) if len(query) > 12 else None
        stop = self.stopwords.get(lang, frozenset()) | self.stopwords.get(detected or "", frozenset())
        return [(_variants(word), word in stop) for word in _words(query)]

    def match_terms(self, variants: list[str]) -> dict[str, float]:
        """Index terms a query word stands for, with a quality from 0 to 1."""
        found = {word: 1.0 for word in variants if word in self.postings or word in self.phrase_index}
        return found or self.typos.close(variants[-1])

    def score(self, query: str, lang: str) -> tuple[dict[int, float], dict[str, float]]:
        """Scores of services (by position) and of categories for a query."""
        words = self.query_words(query, lang)
        meaningful = sum(1 for _variants, stop in words if not stop)
        category_scores: dict[str, float] = {}
        phrase_hits: dict[int, dict[str, float]] = defaultdict(dict)
        phrase_evidence: dict[int, set[int]] = defaultdict(set)  # phrase → query words matching it
        text: dict[int, float] = defaultdict(float)
        for position, (variants, stop) in enumerate(words):
            terms = {w: 1.0 for w in variants if w in self.phrase_index} if stop else self.match_terms(variants)
            best_for_doc: dict[int, float] = {}
            for term, quality in terms.items():
                for phrase in self.phrase_index.get(term, ()):
                    if phrase_hits[phrase].get(term, 0) < quality:
                        phrase_hits[phrase][term] = quality
                    if not stop:
                        phrase_evidence[phrase].add(position)
                if stop:
                    continue
                idf = self.idf.get(term, 0.0)
                for doc, weight in self.postings.get(term, {}).items():
                    value = weight * idf * quality
                    if best_for_doc.get(doc, 0) < value:
                        best_for_doc[doc] = value
            for doc, value in best_for_doc.items():
                text[doc] += value
        # Words of one category's vocabulary from different phrases add up ("maali" from
        # "maali imdad" and "madad" from "mali madad": financial help), up to a full match.
        partial: dict[tuple[str, int], float] = {}
        for phrase, positions in phrase_evidence.items():
            category, phrase_words = self.phrases[phrase]
            value = self._phrase_value(phrase_words, phrase_hits[phrase], len(positions), meaningful)
            if value > category_scores.get(category, 0):
                category_scores[category] = value
            for position in positions:
                if partial.get((category, position), 0) < value:
                    partial[(category, position)] = value
        combined: dict[str, float] = defaultdict(float)
        for (category, _position), value in partial.items():
            combined[category] += value
        for category, value in combined.items():
            category_scores[category] = max(category_scores.get(category, 0.0), min(0.9, value))
        return text, category_scores

    @staticmethod
    def _phrase_value(phrase: tuple[str, ...], hits: dict[str, float], meaningful_hits: int, query_words: int) -> float:
        """How strongly a synonym phrase says "this category", given the words matched.

        All of the phrase: strong, and longer phrases are more specific. Part of a phrase:
        strong only if it accounts for the whole query ("financial help" inside "financial
        help from the state"); a single word of a long phrase is weak evidence.
        """
        quality = sum(hits.get(word, 0.0) for word in phrase)
        if len(hits) >= len(phrase):
            return quality / len(phrase) * (1 + 0.1 * (len(phrase) - 1))
        if meaningful_hits >= 2 and meaningful_hits >= query_words:
            return 0.8 * quality / len(hits)
        return 0.5 * quality / len(phrase)

    def search(self, query: str, lang: str, *, near: tuple[float, float] | None = None,
               open_now: bool = False, now: datetime | None = None, limit: int = 5,
               offset: int = 0, category: str | None = None) -> Results:
        text, categories = self.score(query, lang)
        candidates = set(text)
        # Services of the best matching categories are candidates even without a matching word;
        # weaker categories only re-rank services found otherwise.
        threshold = max(0.5, 0.6 * max(categories.values(), default=0.0))
        for cat, value in categories.items():
            if value >= threshold:
                candidates.update(self.by_category.get(cat, ()))
        if category:
            candidates &= set(self.by_category.get(category, ()))
        family = LANGUAGE_FAMILY.get(lang, lang)
        speakers = self.by_language.get(family, frozenset())
        doc_categories = self.doc_categories
        scored = []
        for doc in candidates:  # the hot loop: inlined on purpose
            best = second = 0.0
            for category_id, factor in doc_categories[doc]:
                value = categories.get(category_id)
                if value:
                    value *= factor
                    if value > best:
                        best, second = value, best
                    elif value > second:
                        second = value
            # The best category, plus half the next ("doctor for my child" prefers a children's
            # clinic to a clinic or a playgroup), plus the words found in the service's text.
            total = CATEGORY_WEIGHT * (best + 0.5 * second) + text.get(doc, 0.0)
            if total >= MIN_SCORE:
                scored.append((doc, total + (LANGUAGE_BONUS if doc in speakers else 0.0)))
        ranked = sorted(categories.items(), key=lambda item: -item[1])
        return self._results(scored, near, open_now, now, limit, offset, ranked)

    def browse(self, category: str, *, near: tuple[float, float] | None = None, open_now: bool = False,
               now: datetime | None = None, limit: int = 5, offset: int = 0, lang: str = "en") -> Results:
        """Every service of a category (its own services first), nearest or open first."""
        family = LANGUAGE_FAMILY.get(lang, lang)
        scored = [(doc, (2.0 if self.services[doc].categories[0] == category else 1.0)
                   + (0.5 if family in self.languages[doc] else 0.0))
                  for doc in self.by_category.get(category, ())]
        return self._results(scored, near, open_now, now, limit, offset, [(category, 1.0)])

    def nearby(self, point: tuple[float, float], *, open_now: bool = False, now: datetime | None = None,
               limit: int = 5, offset: int = 0) -> Results:
        scored = [(doc, 1.0) for doc, service in enumerate(self.services) if service.location]
        return self._results(scored, point, open_now, now, limit, offset, [])

    def is_open(self, doc: int, local: datetime) -> bool:
        return opening.status_of(self.schedules[doc], local).open

    def _results(self, scored: list[tuple[int, float]], near: tuple[float, float] | None, open_now: bool,
                 now: datetime | None, limit: int, offset: int, categories: list[tuple[str, float]]) -> Results:
        """Rank, filter and page. Hits are built only for the page shown."""
        local = now.astimezone(self.timezone) if now else None
        if open_now and local:
            scored = [(doc, score) for doc, score in scored if self.is_open(doc, local)]
        distance: dict[int, float] = {}
        if near:
            # Near me: relevance first in broad bands, then distance within a band.
            best = max((score for _doc, score in scored), default=1.0) or 1.0
            for doc, _score in scored:
                location = self.services[doc].location
                distance[doc] = distance_km(near, (location.lat, location.lon)) if location else 1e9
            scored.sort(key=lambda item: (-round(item[1] / best * 3), distance[item[0]]))
            page = scored[offset:offset + limit]
        else:
            ranks = self.name_rank
            page = [(doc, -negative) for negative, _rank, doc in
                    heapq.nsmallest(offset + limit, [(-score, ranks[doc], doc) for doc, score in scored])[offset:]]
        hits = [Hit(self.services[doc], round(score, 2), distance.get(doc) if near else None,
                    self.is_open(doc, local) if local else None, self.services[doc].categories)
                for doc, score in page]
        return Results(hits, len(scored), categories)
