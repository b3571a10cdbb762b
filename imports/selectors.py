"""Reads for import jobs (administrators only) and the rows of the shop and order exports."""

from collections.abc import Iterator
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import User
from commerce import selectors as commerce_selectors
from commerce.models import OrderLine
from customers import selectors as customer_selectors
from customers.importers import shop_export_headers, shop_export_values
from flexserve import policy
from flexserve.policy import Perm
from imports.models import ImportJob
from imports.services import overall_percent, progress_key

EXPORT_CHUNK = 2000


def job_list(*, user: User) -> QuerySet[ImportJob]:
    """Import jobs, newest first (administrators only: 403 for everyone else)."""
    policy.require(user, Perm.SHOP_IMPORT)
    return policy.visible(user, ImportJob.objects.select_related("created_by"))


def job_get(*, user: User, job_id: int) -> ImportJob:
    """One import job (403 unless administrator, 404 if absent)."""
    policy.require(user, Perm.SHOP_IMPORT)
    return policy.get_visible(
        user, ImportJob, job_id, qs=ImportJob.objects.select_related("created_by")
    )


def job_progress(job: ImportJob) -> dict[str, Any]:
    """Status, rows done and percent: live from the cache while the job runs."""
    if job.is_running:
        live = cache.get(progress_key(job.pk))
        if live and live["status"] in ImportJob.RUNNING:
            return {
                "status": live["status"],
                "done": live["done"],
                "total": live["total"],
                "percent": live["percent"],
            }
    return {
        "status": job.status,
        "done": job.processed_rows,
        "total": job.total_rows,
        "percent": overall_percent(job.status, job.processed_rows, job.total_rows),
    }


# --- exports --------------------------------------------------------------------------------


def shop_export_rows(
    *, user: User, filters: customer_selectors.ShopFilters, language: str
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of the shops ``user`` may see under ``filters`` (phones masked unless
    the user may see contacts), in the import file's own format."""
    policy.require(user, Perm.SHOP_EXPORT)
    shops = customer_selectors.shop_list(user=user, filters=filters)
    headers = [*shop_export_headers(language), *_extra_shop_headers(language)]

    def rows() -> Iterator[list[Any]]:
        for shop in shops.iterator(chunk_size=EXPORT_CHUNK):
            phone = shop.phone if policy.can_see_contact(user, shop) else shop.masked_phone
            yield [
                *shop_export_values(shop, phone=phone, language=language),
                str(shop.get_segment_display()),
                str(shop.get_status_display()),
            ]

    return headers, rows()


def _extra_shop_headers(language: str) -> list[str]:
    # Export-only columns; an import ignores them.
    return ["分类", "状态"] if language.startswith("zh") else ["segment", "status"]


ORDER_EXPORT_COLUMNS = (
    ("number", "订单号"),
    ("licence_no", "许可证号"),
    ("ordered_on", "订货日期"),
    ("product_code", "商品编码"),
    ("quantity", "数量"),
    ("unit_price", "单价"),
    # Export-only columns; an import ignores them.
    ("shop_name", "店名"),
    ("product_name", "商品名称"),
    ("amount", "金额"),
    ("status", "状态"),
)


def order_export_rows(
    *,
    user: User,
    shop_filters: customer_selectors.ShopFilters,
    order_filters: commerce_selectors.OrderFilters,
    language: str,
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and one row per order line of the orders ``user`` may see, in the import format."""
    policy.require(user, Perm.ORDER_EXPORT)
    orders = commerce_selectors.order_list(user=user, filters=order_filters)
    if shop_filters != customer_selectors.ShopFilters():
        shops = customer_selectors.shop_list(user=user, filters=shop_filters)
        orders = orders.filter(shop__in=shops.order_by().values("pk"))
    lines = (
        policy.visible(user, OrderLine.objects.filter(order__in=orders.order_by().values("pk")))
        .select_related("order__shop", "product")
        .order_by("order__ordered_on", "order__number", "id")
    )
    chinese = language.startswith("zh")
    headers = [zh if chinese else key for key, zh in ORDER_EXPORT_COLUMNS]

    def rows() -> Iterator[list[Any]]:
        for line in lines.iterator(chunk_size=EXPORT_CHUNK):
            order = line.order
            yield [
                order.number,
                order.shop.licence_no,
                order.ordered_on,
                line.product.code,
                line.quantity,
                line.unit_price,
                order.shop.name,
                str(line.product),
                line.amount,
                str(order.get_status_display()),
            ]

    return headers, rows()
