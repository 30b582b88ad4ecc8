"""Finding the words someone meant despite typos, fast enough for a directory of 10,000 services.

Candidates come from deletion neighbourhoods (the SymSpell idea): every known word is stored
under itself and each form with one letter deleted (two for long words); a typed word looks up
its own deletions. That finds substitutions, insertions, deletions and swaps in a few dictionary
lookups instead of comparing against every word. rapidfuzz then scores each candidate and only
close ones (ratio ≥ 80, or a single wrong letter) are kept. Words cut short ("doct") are found through their prefixes.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

MIN_LENGTH = 4        # shorter words must be typed right (too many neighbours otherwise)
TWO_EDITS_FROM = 8    # long words may have two typos
CUTOFF = 80.0
MIN_PREFIX = 4


def _deletions(word: str, depth: int) -> Iterator[str]:
    yield word
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        yield from frontier


class TypoMatcher:
    def __init__(self) -> None:
        self._neighbours: dict[str, list[str]] = defaultdict(list)
        self._prefixes: dict[str, list[str]] = defaultdict(list)
        self._known: set[str] = set()

    def add(self, word: str) -> None:
        if len(word) < MIN_LENGTH or word in self._known:
            return
        self._known.add(word)
        for key in set(_deletions(word, 2 if len(word) >= TWO_EDITS_FROM else 1)):
            self._neighbours[key].append(word)
        for end in range(MIN_PREFIX, len(word) - 1):
            if len(self._prefixes[word[:end]]) < 20:
                self._prefixes[word[:end]].append(word)

    def __len__(self) -> int:
        return len(self._known)

    def close(self, typed: str) -> dict[str, float]:
        """Known words close to `typed`, with a quality between 0.5 and 0.9."""
        if len(typed) < MIN_LENGTH:
            return {}
        found: dict[str, float] = {}
        candidates = {c for key in set(_deletions(typed, 2 if len(typed) >= TWO_EDITS_FROM else 1))
                      for c in self._neighbours.get(key, ())}
        for candidate in candidates:
            score = fuzz.ratio(typed, candidate)
            if score >= CUTOFF:
                found[candidate] = 0.55 + 0.35 * (score - CUTOFF) / (100 - CUTOFF)
            elif Levenshtein.distance(typed, candidate, score_cutoff=1) <= 1:
                # One wrong letter in a short word ("پلیش" for "پلیس", a 4-syllable Ge'ez word):
                # the ratio says 75, but it is the most common typo there is.
                found[candidate] = 0.5
        for candidate in self._prefixes.get(typed, ()):
            found.setdefault(candidate, 0.75)  # a word cut short: "doct" → "doctor"
        return found
