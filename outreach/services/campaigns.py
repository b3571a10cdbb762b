"""Templates and campaigns: validate everything first, save nothing on any error.

A campaign sent now becomes a message at once; a timed or recurring one waits for the scheduler
(``occurrences_due``, every minute), which makes each occurrence's message exactly once (unique
per campaign and time) and hands it to the delivery service.
"""

import calendar
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from flexserve import policy
from flexserve.background import enqueue
from flexserve.errors import FieldInvalid, Invalid
from flexserve.policy import Perm
from outreach import links, variables
from outreach.audience import AudienceFilters, audience_count
from outreach.errors import (
    CampaignNotEditable,
    EmptyAudience,
    LinkNotOurs,
    PastTime,
    SmsTooLong,
    UnknownVariables,
)
from outreach.models import Campaign, Message, Recurrence, Template, Topic
from quality.models import Initiative

# A send time a moment in the past (a form filled in slowly) still means "now".
PAST_GRACE = timedelta(minutes=2)


def _check_text(subject: str, body: str) -> None:
    bad = variables.unknown(subject) + variables.unknown(body)
    if bad:
        known = "、".join("{" + name + "}" for name in variables.VARIABLES)
        raise UnknownVariables(
            fields={"body": [_("Unknown variables: %s") % "、".join(bad)]},
            names="、".join("{" + name + "}" for name in dict.fromkeys(bad)),
            known=known,
        )
    length = variables.sms_length(body)
    if length > variables.SMS_MAX_CHARS:
        raise SmsTooLong(
            fields={"body": [_("Too long for an SMS")]},
            length=length,
            limit=variables.SMS_MAX_CHARS,
        )


@transaction.atomic
def template_save(
    *,
    actor: User,
    template_id: int | None,
    name: str,
    topic: str,
    subject: str,
    body: str,
    sms_template_code: str = "",
    sms_params: list[str] | None = None,
    wechat_template_id: str = "",
) -> Template:
    policy.require(actor, Perm.OUTREACH_SEND)
    name, subject, body = name.strip(), subject.strip(), body.strip()
    if not name:
        raise FieldInvalid("name", _("Give the template a name."))
    if not subject or not body:
        raise FieldInvalid("body", _("A template needs a subject and a text."))
    if topic not in Topic.values:
        raise FieldInvalid("topic", _("Choose a topic."))
    _check_text(subject, body)
    params = [p.strip() for p in (sms_params or []) if p.strip()]
    stray = [p for p in params if p not in variables.VARIABLES]
    if stray:
        raise FieldInvalid("sms_params", _("Unknown variables: %s") % "、".join(stray))
    if params and not sms_template_code.strip():
        raise FieldInvalid("sms_template_code", _("SMS variables need the SMS template code."))
    if template_id is None:
        template = Template(created_by=actor)
    else:
        template = policy.get_visible(actor, Template, template_id, for_update=True)
    if Template.objects.filter(name=name).exclude(pk=template.pk).exists():
        raise FieldInvalid("name", _("Another template has this name."))
    template.name, template.topic, template.subject, template.body = name, topic, subject, body
    template.sms_template_code = sms_template_code.strip()
    template.sms_params = params
    template.wechat_template_id = wechat_template_id.strip()
    template.save()
    return template


def next_occurrence(after: datetime, recurrence: str) -> datetime | None:
    """The send after ``after`` for a recurring campaign (months keep the day where they can)."""
    if recurrence == Recurrence.DAILY:
        return after + timedelta(days=1)
    if recurrence == Recurrence.WEEKLY:
        return after + timedelta(days=7)
    if recurrence == Recurrence.MONTHLY:
        local = timezone.localtime(after)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        day = min(local.day, calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day)
    return None


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    name: str,
    template_id: int,
    audience: dict,
    link: str = "",
    starts_at: datetime | None = None,
    recurrence: str = "",
    ends_at: datetime | None = None,
    initiative_id: int | None = None,
) -> Campaign:
    """Save a campaign; sent now (``starts_at`` None) it goes out after the commit."""
    policy.require(actor, Perm.OUTREACH_SEND)
    now = timezone.now()
    name = name.strip()
    if not name:
        raise FieldInvalid("name", _("Give the campaign a name."))
    template = policy.get_visible(actor, Template, template_id)
    initiative = (
        None if initiative_id is None else policy.get_visible(actor, Initiative, initiative_id)
    )
    link = link.strip()
    if link and not links.is_own_path(link):
        raise LinkNotOurs(fields={"link": [str(LinkNotOurs.message)]})
    if recurrence not in Recurrence.values:
        raise FieldInvalid("recurrence", _("Choose how often to send."))
    if starts_at is not None and starts_at < now - PAST_GRACE:
        when = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
        raise PastTime(fields={"starts_at": [_("In the past")]}, when=when)
    send_now = starts_at is None or starts_at <= now
    starts_at = now if send_now else starts_at
    if recurrence and ends_at is not None and ends_at <= starts_at:
        raise FieldInvalid("ends_at", _("The last send must come after the first."))
    filters = AudienceFilters.from_dict(audience)
    if filters.is_empty():
        raise Invalid(
            _("Choose at least one audience filter (all shops: every class)."),
            fields={"audience": [_("Choose at least one filter.")]},
        )
    size = audience_count(filters)
    if size == 0:
        raise EmptyAudience(fields={"audience": [str(EmptyAudience.message)]})
    campaign = Campaign.objects.create(
        name=name,
        template=template,
        audience=filters.to_dict(),
        audience_preview=size,
        link=link,
        initiative=initiative,
        starts_at=starts_at,
        recurrence=recurrence,
        ends_at=ends_at if recurrence else None,
        next_send_at=starts_at,
        created_by=actor,
    )
    if send_now:
        _occur(campaign, now)
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: User, campaign_id: int) -> Campaign:
    """Stop a campaign's future sends (messages already out keep going)."""
    policy.require(actor, Perm.OUTREACH_SEND)
    campaign = policy.get_visible(actor, Campaign, campaign_id, for_update=True)
    if campaign.status in (Campaign.Status.DONE, Campaign.Status.CANCELLED):
        raise CampaignNotEditable()
    campaign.status, campaign.next_send_at = Campaign.Status.CANCELLED, None
    campaign.save(update_fields=["status", "next_send_at"])
    return campaign


def _occur(campaign: Campaign, now: datetime) -> Message | None:
    """Make the campaign's due occurrence (once) and move it to its next time."""
    due = campaign.next_send_at
    try:
        with transaction.atomic():
            message = Message.objects.create(
                campaign=campaign,
                template=campaign.template,
                topic=campaign.template.topic,
                link=campaign.link,
                scheduled_for=due,
            )
    except IntegrityError:  # another scheduler run made it already
        message = None
    following = next_occurrence(due, campaign.recurrence)
    while following is not None and following <= now:  # a scheduler that was down skips, once
        following = next_occurrence(following, campaign.recurrence)
    if following is None or (campaign.ends_at and following > campaign.ends_at):
        campaign.status, campaign.next_send_at = Campaign.Status.DONE, None
    else:
        campaign.status, campaign.next_send_at = Campaign.Status.SCHEDULED, following
    campaign.save(update_fields=["status", "next_send_at"])
    if message is not None:
        from outreach.tasks import fan_out_task

        enqueue(fan_out_task, message.pk)
    return message


def occurrences_due(now: datetime | None = None) -> int:
    """Make the messages of every campaign whose time has come; how many."""
    now = now or timezone.now()
    made = 0
    due = Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, next_send_at__lte=now
    ).values_list("pk", flat=True)
    for campaign_id in list(due):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True)
                .select_related("template")
                .filter(pk=campaign_id, status=Campaign.Status.SCHEDULED, next_send_at__lte=now)
                .first()
            )
            if campaign is not None and _occur(campaign, now) is not None:
                made += 1
    return made


@transaction.atomic
def service_notice(*, template: Template, shop_ids: list[int], link: str = "") -> Message:
    """A service notice (an order, a delivery, a request) to given shops, at once: no opt-in,
    no cap. Called by the apps that know the event."""
    if template.topic != Topic.SERVICE:
        raise Invalid(_("Only service templates can be sent as notices."))
    if link and not links.is_own_path(link):
        raise LinkNotOurs()
    message = Message.objects.create(
        template=template,
        topic=template.topic,
        link=link,
        scheduled_for=timezone.now(),
        state=Message.State.OUT,
        audience_size=len(shop_ids),
    )
    from outreach.tasks import deliver_batch_task

    enqueue(deliver_batch_task, message.pk, list(shop_ids))
    return message
