"""Pages: the shop portal and the staff console (shops, segmentation)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from customers import selectors


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "customers/portal_home.html", {"shop": selectors.shop_of_owner(user=request.user)}
    )


@login_required
def shop_list(request: HttpRequest) -> HttpResponse:
    shops = selectors.shop_list(user=request.user)[:50]
    return render(request, "customers/shop_list.html", {"shops": shops})


@login_required
def shop_detail(request: HttpRequest, shop_id: int) -> HttpResponse:
    return render(
        request,
        "customers/shop_detail.html",
        {"shop": selectors.shop_get(user=request.user, shop_id=shop_id)},
    )


@login_required
def segments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "customers/segments.html",
        {"distribution": selectors.segment_distribution(user=request.user)},
    )
