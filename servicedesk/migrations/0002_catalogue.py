"""The request catalogue a city tobacco company starts with, its working calendar, escalation
rules and canned replies. Administrators edit all of it afterwards (back office and API)."""

from django.db import migrations

# code, name, English name, category, department, skills, priority, route to
TYPES = [
    (
        "order_problem",
        "订货问题",
        "Ordering problem",
        "ordering",
        "service",
        [],
        "normal",
        "account_manager",
    ),
    (
        "order_change",
        "订单修改或退订",
        "Change or cancel an order",
        "ordering",
        "service",
        [],
        "high",
        "department",
    ),
    (
        "delivery_late",
        "配送延误",
        "Late delivery",
        "delivery",
        "logistics",
        [],
        "high",
        "department",
    ),
    (
        "delivery_complaint",
        "送货投诉（破损、错送、少送）",
        "Delivery complaint (damaged, wrong, short)",
        "delivery",
        "logistics",
        [],
        "high",
        "department",
    ),
    (
        "stock_replenish",
        "缺货补货",
        "Out of stock / replenishment",
        "stock",
        "marketing",
        ["brand"],
        "normal",
        "account_manager",
    ),
    (
        "payment_failed",
        "扣款失败",
        "Deduction failed",
        "payment",
        "service",
        [],
        "high",
        "department",
    ),
    (
        "payment_query",
        "账款查询",
        "Payment or invoice question",
        "payment",
        "service",
        [],
        "normal",
        "department",
    ),
    (
        "licence_renewal",
        "许可证新办或延续",
        "Licence application or renewal",
        "licence",
        "service",
        ["licence"],
        "normal",
        "department",
    ),
    (
        "licence_change",
        "许可证变更、停业或歇业",
        "Licence change, suspension or closure",
        "licence",
        "service",
        ["licence"],
        "normal",
        "department",
    ),
    (
        "display_coaching",
        "陈列指导",
        "Display coaching",
        "display",
        "marketing",
        ["display"],
        "normal",
        "account_manager",
    ),
    (
        "shop_improvement",
        "终端形象提升",
        "Shop improvement",
        "display",
        "marketing",
        ["display"],
        "low",
        "account_manager",
    ),
    (
        "equipment_fault",
        "订货终端或设备故障",
        "Ordering terminal or equipment fault",
        "equipment",
        "service",
        ["equipment"],
        "high",
        "department",
    ),
    (
        "consultation",
        "政策与业务咨询",
        "Policy or business question",
        "consultation",
        "marketing",
        [],
        "low",
        "account_manager",
    ),
    (
        "complaint",
        "服务投诉",
        "Service complaint",
        "complaint",
        "service",
        [],
        "high",
        "department",
    ),
    ("suggestion", "意见建议", "Suggestion", "suggestion", "service", [], "low", "department"),
]

RULES = [
    ("首次响应预警（80%）", "response", 80, True, False, False),
    ("处理时限预警（80%）", "resolution", 80, True, True, False),
    ("处理超时改派（150%）", "resolution", 150, True, False, True),
]

REPLIES = [
    ("已收到，马上处理", "您好，您的诉求我们已收到，正在安排处理，请保持电话畅通。", ""),
    ("请补充照片", "您好，为尽快处理，请在本页补充现场照片（如破损包装、设备屏幕）。", ""),
    (
        "配送已安排补送",
        "您好，少送/错送的卷烟已安排在下一次配送时补送，给您带来不便，敬请谅解。",
        "delivery",
    ),
    (
        "扣款重试说明",
        "您好，扣款失败多因账户余额不足，请在今日 16:00 前存入足额款项，系统将自动重新扣款。",
        "payment",
    ),
    (
        "许可证材料清单",
        "您好，办理许可证延续需准备：营业执照、身份证、经营场所证明，可预约客户经理上门协助。",
        "licence",
    ),
    ("已安排上门", "您好，已为您安排客户经理上门处理，具体时间将电话与您确认。", ""),
]


def forwards(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    Skill = apps.get_model("accounts", "Skill")
    RequestType = apps.get_model("servicedesk", "RequestType")
    WorkingCalendar = apps.get_model("servicedesk", "WorkingCalendar")
    EscalationRule = apps.get_model("servicedesk", "EscalationRule")
    CannedReply = apps.get_model("servicedesk", "CannedReply")

    departments = {d.code: d for d in Department.objects.all()}
    skills = {s.code: s for s in Skill.objects.all()}
    for position, (code, name, name_en, category, dept, skill_codes, priority, route) in enumerate(
        TYPES, start=1
    ):
        kind, created = RequestType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "department": departments[dept],
                "default_priority": priority,
                "route_to": route,
                "position": position,
            },
        )
        if created:
            kind.skills.set([skills[c] for c in skill_codes if c in skills])
    WorkingCalendar.objects.get_or_create(
        code="default",
        defaults={
            "name": "公司工作日历",
            "periods": [["08:30", "12:00"], ["14:00", "17:30"]],
            "use_china_holidays": True,
        },
    )
    if not EscalationRule.objects.exists():
        for name, clock, pct, notify, raise_priority, reassign in RULES:
            EscalationRule.objects.create(
                name=name,
                clock=clock,
                threshold_pct=pct,
                notify_supervisor=notify,
                raise_priority=raise_priority,
                reassign=reassign,
            )
    if not CannedReply.objects.exists():
        for title, body, category in REPLIES:
            CannedReply.objects.create(title=title, body=body, category=category)


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0001_initial"),
        ("accounts", "0002_departments"),
        ("customers", "0002_default_rules_and_plans"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
