from django.contrib import admin

from commerce.models import Delivery, Order, OrderLine, Payment, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "brand", "name", "unit_price", "is_active")
    search_fields = ("code", "brand", "name")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "shop", "ordered_on", "status", "total_quantity", "total_amount")
    list_filter = ("status",)
    search_fields = ("number", "shop__licence_no", "shop__name")
    date_hierarchy = "ordered_on"
    raw_id_fields = ("shop",)
    inlines = [OrderLineInline]
    list_select_related = ("shop",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("order", "shop", "status", "planned_at", "delivered_at", "route_code")
    list_filter = ("status",)
    raw_id_fields = ("order", "shop")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("order", "shop", "amount", "method", "status", "paid_at")
    list_filter = ("status", "method")
    raw_id_fields = ("order", "shop")
