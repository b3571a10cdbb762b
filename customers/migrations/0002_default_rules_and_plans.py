"""Documented defaults (docs/segmentation.md): rule set v1 and one service plan per class.

Service items, skills and plan wording are Chinese data, as the shops see them.
"""

from django.db import migrations

RULES = [
    # (class, grade_min, grade_max, star_min, star_max): first match wins, else ordinary.
    ("core", 24, 30, 4, 5),
    ("key", 18, 30, 3, 5),
    ("potential", 1, 17, 4, 5),
    ("potential", 12, 17, 3, 3),
]

SKILLS = [
    ("display", "陈列指导"),
    ("brand", "品牌培育"),
    ("equipment", "设备维护"),
    ("licence", "证照业务"),
    ("analysis", "经营分析"),
]

ITEMS = [
    # code, name, minutes, skill
    ("routine_visit", "例行拜访", 20, None),
    ("display_coaching", "卷烟陈列指导", 40, "display"),
    ("brand_cultivation", "品牌培育与新品推介", 30, "brand"),
    ("shop_improvement", "终端形象提升", 60, "display"),
    ("business_review", "经营数据分析与建议", 45, "analysis"),
    ("policy_briefing", "政策法规宣传", 15, None),
    ("equipment_check", "订货终端设备维护", 30, "equipment"),
    ("licence_assist", "许可证办理协助", 30, "licence"),
]

CATEGORIES = [
    "ordering",
    "delivery",
    "stock",
    "payment",
    "licence",
    "display",
    "equipment",
    "consultation",
    "complaint",
    "suggestion",
]
URGENT = {"ordering", "delivery", "payment", "complaint"}

PLANS = {
    # class: (visits/month, items, channels, first-response minutes urgent/other,
    #         resolution minutes urgent/other, description)
    "core": (
        4,
        [
            "routine_visit",
            "display_coaching",
            "brand_cultivation",
            "shop_improvement",
            "business_review",
            "policy_briefing",
            "equipment_check",
            "licence_assist",
        ],
        ["visit", "wechat", "phone"],
        (15, 30),
        (240, 960),
        "核心客户：客户经理每周上门，一对一驻店指导，诉求优先响应。",
    ),
    "key": (
        2,
        [
            "routine_visit",
            "display_coaching",
            "brand_cultivation",
            "business_review",
            "policy_briefing",
            "equipment_check",
            "licence_assist",
        ],
        ["wechat", "phone", "visit"],
        (30, 60),
        (480, 1440),
        "重点客户：每两周上门，陈列与品牌培育为主。",
    ),
    "potential": (
        2,
        [
            "routine_visit",
            "display_coaching",
            "shop_improvement",
            "business_review",
            "policy_briefing",
            "licence_assist",
        ],
        ["wechat", "app", "visit"],
        (30, 60),
        (480, 1440),
        "潜力客户：重点提升经营能力，培育成长。",
    ),
    "ordinary": (
        1,
        ["routine_visit", "policy_briefing", "equipment_check", "licence_assist"],
        ["app", "sms", "phone"],
        (60, 120),
        (960, 2400),
        "普通客户：每月上门一次，线上自助服务为主。",
    ),
}


def forwards(apps, schema_editor):
    Skill = apps.get_model("accounts", "Skill")
    ServiceItem = apps.get_model("customers", "ServiceItem")
    ServicePlan = apps.get_model("customers", "ServicePlan")
    SlaTarget = apps.get_model("customers", "SlaTarget")
    SegmentRuleSet = apps.get_model("customers", "SegmentRuleSet")
    SegmentRule = apps.get_model("customers", "SegmentRule")

    skills = {
        code: Skill.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in SKILLS
    }
    items = {}
    for code, name, minutes, skill in ITEMS:
        items[code] = ServiceItem.objects.get_or_create(
            code=code, defaults={"name": name, "duration_min": minutes, "skill": skills.get(skill)}
        )[0]
    for segment, (visits, item_codes, channels, first, resolve, text) in PLANS.items():
        plan, _ = ServicePlan.objects.get_or_create(
            segment=segment,
            defaults={
                "visits_per_month": visits,
                "contact_channels": channels,
                "description": text,
            },
        )
        plan.service_items.set([items[c] for c in item_codes])
        for category in CATEGORIES:
            urgent = category in URGENT
            SlaTarget.objects.get_or_create(
                plan=plan,
                category=category,
                defaults={
                    "first_response_min": first[0] if urgent else first[1],
                    "resolution_min": resolve[0] if urgent else resolve[1],
                },
            )
    if not SegmentRuleSet.objects.exists():
        from django.utils import timezone

        rule_set = SegmentRuleSet.objects.create(
            version=1,
            status="active",
            default_segment="ordinary",
            note="默认规则（档级 × 星级）",
            activated_at=timezone.now(),
        )
        for position, (segment, gmin, gmax, smin, smax) in enumerate(RULES, start=1):
            SegmentRule.objects.create(
                rule_set=rule_set,
                position=position,
                segment=segment,
                grade_min=gmin,
                grade_max=gmax,
                star_min=smin,
                star_max=smax,
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
