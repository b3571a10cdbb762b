"""Addresses reached without log-in: tracked links, one-click unsubscribe, provider webhooks.

Each checks its signed token or the caller's signature before anything else; a bad one is
refused and changes nothing. The webhooks are called by providers at high rates, so they do
no more than check, parse and apply (two or three queries per event), and answer the body
each provider expects, or it calls again.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.models import Shop
from flexserve.errors import Invalid
from outreach import links
from outreach.errors import BadSignature
from outreach.models import Channel, ConsentRecord, Delivery
from outreach.services import consent, delivery, receipts

_ALIYUN_OK = '{"code":0,"msg":"成功"}'
_TENCENT_OK = '{"result":0,"errmsg":"OK"}'
# provider in the URL → (parser of its body, the answer it expects when all went well)
HOOKS = {
    "aliyun-sms-report": (receipts.aliyun_sms_reports, _ALIYUN_OK),
    "aliyun-sms-up": (receipts.aliyun_sms_replies, _ALIYUN_OK),
    "tencent-sms-report": (receipts.tencent_sms_reports, _TENCENT_OK),
    "tencent-sms-reply": (receipts.tencent_sms_replies, _TENCENT_OK),
    "wechat": (receipts.wechat_events, "success"),
}
ONE_CLICK = "List-Unsubscribe=One-Click"


@require_http_methods(["GET", "HEAD"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link: count the click, then on to the message's page of this site."""
    delivery_id = links.read_link_token(token)
    if delivery_id is None:
        raise Http404
    path = Delivery.objects.filter(pk=delivery_id).values_list("message__link", flat=True).first()
    if path is None:
        raise Http404
    if request.method == "GET":  # link scanners probe with HEAD
        delivery.mark_clicked(delivery_id)
    return HttpResponseRedirect(path if links.is_own_path(path) else "/")


@csrf_exempt  # mail clients POST the one-click body (RFC 8058) without a session or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks; POST (the page's button or a mail client's one-click) unsubscribes."""
    target = links.read_unsubscribe_token(token)
    if target is None or target[1] not in Channel.values:
        raise Http404
    shop_id, channel = target
    shop_name = Shop.objects.filter(pk=shop_id).values_list("name", flat=True).first()
    if shop_name is None:
        raise Http404
    question = gettext("Stop sending %(channel)s messages to %(shop)s?") % {
        "channel": Channel(channel).label,
        "shop": shop_name,
    }
    done = request.method == "POST"
    if done:
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        consent.unsubscribe(
            shop_id=shop_id,
            channel=channel,
            source=ConsentRecord.Source.EMAIL_LINK,
            wording=ONE_CLICK if one_click else question,
        )
    context = {"question": question, "done": done, "shop_name": shop_name}
    return render(request, "outreach/unsubscribe.html", context)


@csrf_exempt  # providers sign their calls instead
@require_http_methods(["GET", "POST"])
def hook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's callback: signature first, then each event applied once."""
    if provider not in HOOKS:
        raise Http404
    parse, answer = HOOKS[provider]
    try:
        if provider == "wechat":
            receipts.check_wechat_signature(
                signature=request.GET.get("signature", ""),
                timestamp=request.GET.get("timestamp", ""),
                nonce=request.GET.get("nonce", ""),
            )
            if request.method == "GET":  # WeChat checks the URL once by echoing echostr
                return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
        elif request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        else:
            receipts.check_webhook_signature(
                request.body, request.headers.get("X-Flexserve-Signature", "")
            )
        receipts.apply(parse(request.body))
    except BadSignature as error:
        return JsonResponse(error.as_body(), status=error.status)
    except receipts.BadPayload as exc:
        error = Invalid(str(exc))
        return JsonResponse(error.as_body(), status=400)
    content_type = "text/plain" if provider == "wechat" else "application/json"
    return HttpResponse(answer, content_type=f"{content_type}; charset=utf-8")
