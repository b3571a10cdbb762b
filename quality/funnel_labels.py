"""How initiative funnels and goals are named on every page that shows them (the initiative
pages of the console and the initiatives dashboard): stages, what each share counts over what,
the event sources and the goal states."""

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy


def percent(share: float | None) -> float | None:
    """A share (0–1) as a percentage with one decimal."""
    return None if share is None else round(100 * share, 1)


STAGES = {
    "awareness": pgettext_lazy("funnel stage", "Awareness"),
    "interest": pgettext_lazy("funnel stage", "Interest"),
    "experience": pgettext_lazy("funnel stage", "Experience"),
    "perception": pgettext_lazy("funnel stage", "Perception"),
}
# What each survey share counts, over what: stages have different bases, so each is labelled.
SURVEY_BASES = {
    "awareness": gettext_lazy("aware / surveyed"),
    "interest": gettext_lazy("interested / aware"),
    "experience": gettext_lazy("tried / aware"),
    "perception": gettext_lazy("rated 4–5 / tried"),
}
EVENT_BASES = {
    "awareness": gettext_lazy("read a campaign message / shops in the target group"),
    "interest": gettext_lazy("booked / shops in the target group"),
    "experience": gettext_lazy("done / booked"),
    "perception": gettext_lazy("rated 4–5 / rated"),
}
EVENT_SOURCES = {
    "bookings": gettext_lazy("Bookings"),
    "visits": gettext_lazy("Completed visits"),
    "ratings": gettext_lazy("Ratings of those visits"),
    "messages": gettext_lazy("Campaign messages read"),
}
GOAL_STATES = {
    "met": pgettext_lazy("goal status", "Met"),
    "missed": pgettext_lazy("goal status", "Missed"),
    "on_track": pgettext_lazy("goal status", "On track"),
    "at_risk": pgettext_lazy("goal status", "At risk"),
}


def goal_view(row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``quality.funnels.goal_rows`` as shown: the stage, shares in percent, the state."""
    goal = row["goal"]
    return {
        "goal": goal,
        "stage": STAGES.get(goal.metric, goal.metric),
        "metric_label": goal.get_metric_display(),
        "baseline": percent(goal.baseline),
        "target": percent(goal.target),
        "current": percent(row["current"]),
        "status": row["status"],
        "status_label": GOAL_STATES.get(row["status"], row["status"]),
    }
