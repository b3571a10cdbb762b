"""/api/service: service requests, their lifecycle, comments and support tasks.

Creating a request honours an ``Idempotency-Key`` header: a retried submission returns the first
request (same body, header ``Idempotent-Replayed: true``) and never creates a second; the same key
with a different body answers 409 ``idempotency_key_reused``. A 201 is sent only after commit.
"""

from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from flexserve import policy
from flexserve.policy import Perm
from flexserve.schemas import Id, PageNumberPagination
from servicedesk import outbox, selectors, services
from servicedesk.models import ServiceRequest, SupportTask

router = Router()


class RequestTypeOut(Schema):
    code: str
    name: str
    name_en: str
    category: str
    department: str = Field(..., alias="department.name")
    default_priority: str
    route_to: str


class RequestIn(Schema):
    request_type: str = Field(..., max_length=40, description="a code from /request-types")
    title: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=4000)
    shop_id: int | None = Field(None, description="staff and integrations: the shop; shops: omit")
    channel: str = Field("api", max_length=10)
    priority: str | None = Field(None, max_length=10)


class ClockOut(Schema):
    target_min: int
    elapsed_min: int
    remaining_min: int
    due_at: datetime | None
    paused: bool
    breached: bool


class RequestOut(Schema):
    id: int
    number: str
    shop_id: int
    shop_name: str = Field(..., alias="shop.name")
    request_type: str = Field(..., alias="request_type.code")
    channel: str
    title: str
    description: str
    priority: str
    status: str
    department_id: int
    assignee_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime
    resolution_due_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    handover_count: int
    reopen_count: int


class RequestDetailOut(RequestOut):
    response_clock: ClockOut
    resolution_clock: ClockOut
    allowed_actions: list[str]

    @staticmethod
    def resolve_response_clock(obj: ServiceRequest) -> dict:
        return _clock(selectors.clocks(obj).response)

    @staticmethod
    def resolve_resolution_clock(obj: ServiceRequest) -> dict:
        return _clock(selectors.clocks(obj).resolution)

    @staticmethod
    def resolve_allowed_actions(obj: ServiceRequest, context) -> list[str]:
        return services.allowed_actions(context["request"].user, obj)


def _clock(state) -> dict:
    return {
        "target_min": state.target_s // 60,
        "elapsed_min": state.elapsed_s // 60,
        "remaining_min": state.remaining_s // 60,
        "due_at": state.due_at,
        "paused": state.paused,
        "breached": state.breached,
    }


class RequestFiltersIn(Schema):
    queue: str = Field("", description="mine | department | breaching | unassigned | support")
    status: str = ""
    request_type: str = ""
    shop_id: Id | None = None
    q: str = Field("", max_length=60, description="number, title or shop name")


class TimelineOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    text: str
    internal: bool

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return str(obj.actor) if obj.actor else None


class TransitionIn(Schema):
    action: str = Field(..., description="start | ask_shop | resume | resolve | close | reopen")
    note: str = Field("", max_length=500)
    override_reason: str = Field("", max_length=200, description="managers: resolve anyway")


class AssignIn(Schema):
    assignee_id: int
    reason: str = Field(..., min_length=1, max_length=300)


class CommentIn(Schema):
    body: str = Field(..., min_length=1, max_length=4000)
    internal: bool = False


class CommentOut(Schema):
    id: int
    body: str
    internal: bool
    created_at: datetime


class SupportTaskIn(Schema):
    department_id: int
    need: str = Field(..., min_length=1, max_length=300)
    required: bool = True
    due_at: datetime | None = None
    owner_id: int | None = None


class SupportTaskOut(Schema):
    id: int
    request_id: int
    department_id: int
    department: str = Field(..., alias="department.name")
    owner_id: int | None
    need: str
    required: bool
    state: str
    due_at: datetime
    result: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SupportActionIn(Schema):
    action: str = Field(..., description="start | done | cancel")
    result: str = Field("", max_length=500)


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


@router.get("/request-types", response=list[RequestTypeOut], summary="The request catalogue")
def list_request_types(request):
    policy.require(request.user, Perm.REQUEST_CREATE)
    return selectors.request_types()


@router.post(
    "/requests",
    response={201: RequestOut},
    summary="Submit a service request (send an Idempotency-Key header to retry safely)",
)
def create_request(
    request,
    response: HttpResponse,
    payload: RequestIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    data = payload.dict()
    if idempotency_key is None:
        created = services.request_create(actor=request.user, **data)
    else:
        created, replayed = services.request_submit_idempotent(
            actor=request.user, key=idempotency_key, payload=data
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
    return Status(201, created)  # built from the committed row: no second read


@router.get("/requests", response=list[RequestOut], summary="Requests in your scope")
@paginate(PageNumberPagination, page_size=50)
def list_requests(request, filters: Query[RequestFiltersIn]):
    return selectors.request_list(request.user, selectors.RequestFilters(**filters.dict()))


@router.get("/requests/{request_id}", response=RequestDetailOut, summary="One request")
def get_request(request, request_id: int):
    return selectors.request_get(request.user, request_id)


@router.get(
    "/requests/{request_id}/timeline",
    response=list[TimelineOut],
    summary="Events and comments (shops see the public ones)",
)
def get_timeline(request, request_id: int):
    return selectors.timeline(request.user, selectors.request_get(request.user, request_id))


@router.post(
    "/requests/{request_id}/transitions",
    response=RequestDetailOut,
    summary="Move a request through its lifecycle",
)
def transition_request(request, request_id: int, payload: TransitionIn):
    services.request_transition(actor=request.user, request_id=request_id, **payload.dict())
    return selectors.request_get(request.user, request_id)


@router.post("/requests/{request_id}/take", response=RequestDetailOut, summary="Take from a queue")
def take_request(request, request_id: int):
    services.request_take(actor=request.user, request_id=request_id)
    return selectors.request_get(request.user, request_id)


@router.post(
    "/requests/{request_id}/assign", response=RequestDetailOut, summary="Re-assign with a reason"
)
def assign_request(request, request_id: int, payload: AssignIn):
    services.request_assign(actor=request.user, request_id=request_id, **payload.dict())
    return selectors.request_get(request.user, request_id)


@router.post(
    "/requests/{request_id}/comments",
    response={201: CommentOut},
    summary="Comment or reply",
    description="A reply to the shop (internal false) comes from the shop, the request's owner, "
    "a dispatcher or a manager; others who see the request add internal notes (403 otherwise).",
)
def add_comment(request, request_id: int, payload: CommentIn):
    comment = services.comment_add(actor=request.user, request_id=request_id, **payload.dict())
    return Status(201, comment)


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("request_attachment", args=[obj.pk])


@router.post(
    "/requests/{request_id}/photos",
    response={201: list[PhotoOut]},
    summary="Add photos (multipart field 'photos': JPEG, PNG or WebP, 5 MB each, 3 per request)",
)
def add_photos(request, request_id: int, photos: File[list[UploadedFile]]):
    return Status(
        201, services.photos_add(actor=request.user, request_id=request_id, photos=photos)
    )


@router.get(
    "/requests/{request_id}/support-tasks",
    response=list[SupportTaskOut],
    summary="The parts other departments do",
)
def list_support_tasks(request, request_id: int):
    policy.require(request.user, Perm.REQUEST_WORK)
    return selectors.support_tasks(selectors.request_get(request.user, request_id))


@router.post(
    "/requests/{request_id}/support-tasks",
    response={201: SupportTaskOut},
    summary="Call another department for support",
)
def create_support_task(request, request_id: int, payload: SupportTaskIn):
    task = services.support_task_create(actor=request.user, request_id=request_id, **payload.dict())
    return Status(201, SupportTask.objects.select_related("department").get(pk=task.pk))


@router.post(
    "/support-tasks/{task_id}/transitions",
    response=SupportTaskOut,
    summary="Start, finish or cancel a support task",
)
def transition_support_task(request, task_id: int, payload: SupportActionIn):
    return services.support_task_update(actor=request.user, task_id=task_id, **payload.dict())


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications")
@paginate(PageNumberPagination, page_size=50)
def list_notifications(request, unread: bool = False):
    return selectors.notifications(request.user, unread_only=unread)


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="omit to mark every notification read")


class MarkReadOut(Schema):
    marked: int


@router.post("/notifications/read", response=MarkReadOut, summary="Mark notifications read")
def mark_notifications_read(request, payload: MarkReadIn):
    return {
        "marked": outbox.notifications_mark_read(user=request.user, notification_ids=payload.ids)
    }
