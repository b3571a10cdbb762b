from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError


class OrderExists(AppError):
    code, status = "order_exists", 409
    message = _("Order %(number)s already exists.")


class UnknownShop(AppError):
    code, status = "unknown_shop", 422
    message = _("No shop has licence number %(licence_no)s.")


class UnknownProduct(AppError):
    code, status = "unknown_product", 422
    message = _("No product has code %(code)s.")


class UnknownOrder(AppError):
    code, status = "unknown_order", 422
    message = _("No order has number %(number)s.")
