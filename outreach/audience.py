"""Audiences as segment filters, resolved against the shops when a message goes out.

Filters are stored with the campaign as plain JSON, so a recurring campaign reaches the shops that
match on the day it sends (a shop promoted to core next month gets next month's message). Only
active shops are ever in an audience.
"""

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from community.models import ArticleRead, ReaderPreference
from customers.models import Shop


@dataclass(frozen=True)
class AudienceFilters:
    segments: list[str] = field(default_factory=list)  # classes: core / key / potential / ordinary
    grade_min: int | None = None
    grade_max: int | None = None
    star_min: int | None = None
    star_max: int | None = None
    business_types: list[str] = field(default_factory=list)
    market_types: list[str] = field(default_factory=list)  # urban / rural
    district_ids: list[int] = field(default_factory=list)
    grid_ids: list[int] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)  # community topics the owner follows
    article_id: int | None = None
    article_read: str = ""  # "read" / "unread" that article

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "AudienceFilters":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", [])}

    def is_empty(self) -> bool:
        return not self.to_dict()


def audience_shops(filters: AudienceFilters) -> QuerySet[Shop]:
    """The active shops matching every filter given (each list filter: any of its values)."""
    qs = Shop.objects.filter(status=Shop.Status.ACTIVE)
    conditions = Q()
    if filters.segments:
        conditions &= Q(segment__in=filters.segments)
    if filters.grade_min is not None:
        conditions &= Q(grade__gte=filters.grade_min)
    if filters.grade_max is not None:
        conditions &= Q(grade__lte=filters.grade_max)
    if filters.star_min is not None:
        conditions &= Q(star__gte=filters.star_min)
    if filters.star_max is not None:
        conditions &= Q(star__lte=filters.star_max)
    if filters.business_types:
        conditions &= Q(business_type__in=filters.business_types)
    if filters.market_types:
        conditions &= Q(market_type__in=filters.market_types)
    if filters.district_ids:
        conditions &= Q(grid__district_id__in=filters.district_ids)
    if filters.grid_ids:
        conditions &= Q(grid_id__in=filters.grid_ids)
    qs = qs.filter(conditions)
    if filters.interests:
        # Topics are a JSON list, which SQLite cannot search by containment: the preferences
        # (one row per reader who chose topics) are matched here instead.
        wanted = set(filters.interests)
        followers = [
            user_id
            for user_id, topics in ReaderPreference.objects.values_list("user_id", "topics")
            if wanted.intersection(topics or [])
        ]
        qs = qs.filter(owner_account_id__in=followers)
    if filters.article_id and filters.article_read in ("read", "unread"):
        has_read = Exists(
            ArticleRead.objects.filter(article_id=filters.article_id, shop_id=OuterRef("pk"))
        )
        qs = qs.filter(has_read if filters.article_read == "read" else ~has_read)
    return qs


def audience_count(filters: AudienceFilters) -> int:
    return audience_shops(filters).count()
