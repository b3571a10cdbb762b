"""What campaigns tell quality's initiative funnels: the awareness stage from messages read."""

from datetime import datetime

from django.db.models import QuerySet

from outreach.models import Campaign, Delivery


def initiative_awareness(initiative, shops: QuerySet, start: datetime, end: datetime) -> int | None:
    """Target shops that read or clicked a message of a campaign linked to the initiative in its
    period; None when no campaign is linked (no data, not zero)."""
    if not Campaign.objects.filter(initiative=initiative).exists():
        return None
    return (
        Delivery.objects.filter(
            message__campaign__initiative=initiative,
            shop__in=shops,
            status__in=(Delivery.Status.READ, Delivery.Status.CLICKED),
            created_at__range=(start, end),
        )
        .values("shop")
        .distinct()
        .count()
    )
