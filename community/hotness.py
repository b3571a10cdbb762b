"""The hot score of a forum thread: plain arithmetic, no ORM (the refresh feeds it counts).

Two parts, after Discourse's hot topics:

    hot = (max(L − 1, 0) + max(R − 1, 0)) / (h + 2) ** GRAVITY   # the whole life, decayed
        + RECENT_WEIGHT * (L7 + R7) / (h7 + 2) ** GRAVITY          # the last 7 days, decayed

- L: likes on the thread's published posts; R: distinct people, other than the author, with a
  published reply. The first like and the first replier count nothing: one friend does not make
  a topic hot.
- h: hours since the thread was created. L7 and R7 are the same counts over the last
  ``RECENT_DAYS`` days, and h7 the hours since the first of those recent events, so an old thread
  that comes alive again climbs back without its age holding it down.
- GRAVITY 1.2 (Discourse's default): a day-old thread with the same counts scores ~1/36 of an
  hour-old one's first part.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAVITY = 1.2
RECENT_DAYS = 7
RECENT_WEIGHT = 1.0


@dataclass(frozen=True)
class Activity:
    likes: int
    repliers: int
    age_hours: float
    recent_likes: int = 0
    recent_repliers: int = 0
    recent_age_hours: float = 0.0


def hot_score(a: Activity) -> float:
    lifetime = (max(a.likes - 1, 0) + max(a.repliers - 1, 0)) / (
        max(a.age_hours, 0.0) + 2
    ) ** GRAVITY
    recent = a.recent_likes + a.recent_repliers
    if recent == 0:
        return lifetime
    return lifetime + RECENT_WEIGHT * recent / (max(a.recent_age_hours, 0.0) + 2) ** GRAVITY
