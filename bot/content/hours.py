"""Opening hours: is a place open now, and when does it open or close next?

Weekly schedules are ranges per weekday in the city's time zone. A range may run past midnight
("22:00-06:00" on Friday ends on Saturday morning) and "00:00-24:00" means all day; adjoining
ranges are merged, so a place open around the clock is reported as such.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.content.schema import WEEKDAYS

DAY = 24 * 60
WEEK = 7 * DAY


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def intervals(hours: dict[str, tuple[str, ...]]) -> list[tuple[int, int]]:
    """Merged [start, end) minute intervals of the week (Monday 00:00 = 0); may exceed WEEK."""
    spans = []
    for index, day in enumerate(WEEKDAYS):
        for text in hours.get(day, ()):
            start, end = (_minutes(part) for part in text.split("-"))
            if end <= start:  # past midnight
                end += DAY
            spans.append((index * DAY + start, index * DAY + end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    # A range running past Sunday midnight joins Monday's first one.
    if len(merged) > 1 and merged[-1][1] >= WEEK + merged[0][0]:
        first = merged.pop(0)
        merged[-1] = (merged[-1][0], max(merged[-1][1], WEEK + first[1]))
    return merged


@dataclass(frozen=True)
class Status:
    """`open`; when open: minutes until closing (None: always open); when closed: minutes until opening."""

    open: bool
    always: bool = False
    closes_in: int | None = None
    opens_in: int | None = None
    known: bool = True


def status(hours: dict[str, tuple[str, ...]], now: datetime) -> Status:
    """Status at local time `now` (an aware datetime already in the city's time zone)."""
    return status_of(intervals(hours), now)


def status_of(spans: list[tuple[int, int]], now: datetime) -> Status:
    """Status for precomputed `intervals` (the search index keeps them per service)."""
    if not spans:
        return Status(open=False, known=False)
    if len(spans) == 1 and spans[0][1] - spans[0][0] >= WEEK:
        return Status(open=True, always=True)
    at = now.weekday() * DAY + now.hour * 60 + now.minute
    for start, end in spans:
        for shift in (0, WEEK):  # a Sunday-night range reaches into next Monday
            if start <= at + shift < end:
                return Status(open=True, closes_in=end - (at + shift))
    opens_in = min((start - at) % WEEK for start, _end in spans)
    return Status(open=False, opens_in=opens_in)


def week_lines(hours: dict[str, tuple[str, ...]]) -> list[tuple[list[int], tuple[str, ...]]]:
    """Consecutive weekdays with identical ranges grouped: [([0,1,2,3,4], ("09:00-17:00",)), ...]."""
    groups: list[tuple[list[int], tuple[str, ...]]] = []
    for index, day in enumerate(WEEKDAYS):
        ranges = tuple(hours.get(day, ()))
        if not ranges:
            continue
        if groups and groups[-1][1] == ranges and groups[-1][0][-1] == index - 1:
            groups[-1][0].append(index)
        else:
            groups.append(([index], ranges))
    return groups
