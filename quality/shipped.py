"""The shipped SERVQUAL instrument for a distributor's retail shops (22 items, five dimensions).

Worded for the shops of a tobacco distributor: the ordering app, delivery on time and as ordered,
correct deductions, fixed the first time, answers in time, attention to the shop. Each item is
asked twice on 1–7: what an excellent distributor would do (expectation) and what we do
(perception). ``owner`` is the kind of department that owns the item (accounts.Department.Kind);
the first active department of that kind is linked when the instrument is installed.

Data, not code: the migration that installs it reads this module, so edits here change only new
databases; a change for existing ones needs a migration of its own.
"""

CODE = "servqual-shop-22"
NAME = "零售客户服务质量调查（SERVQUAL）"
DESCRIPTION = (
    "22 个题目、5 个维度。每题先答“一家优秀的烟草公司应当做到的程度”（期望），"
    "再答“我们实际做到的程度”（感知），1 = 完全不同意，7 = 完全同意。"
    "最后把 100 分按重要程度分给 5 个维度。"
)
EXPECTATION_PREFIX = "一家优秀的烟草公司："
LOW_LABEL = "完全不同意"
HIGH_LABEL = "完全同意"

# (code, name)
DIMENSIONS = [
    ("tangibles", "有形性"),
    ("reliability", "可靠性"),
    ("responsiveness", "响应性"),
    ("assurance", "保证性"),
    ("empathy", "移情性"),
]

# (code, dimension, owner kind, perception wording)
ITEMS = [
    ("t1", "tangibles", "it", "订货平台（手机订货 APP）好用，界面清楚"),
    ("t2", "tangibles", "marketing", "客户经理和送货员衣着整洁、佩戴工作证"),
    ("t3", "tangibles", "marketing", "提供的价签、宣传资料和陈列用品美观实用"),
    ("t4", "tangibles", "monopoly", "办事窗口环境整洁，指引和办事指南清楚"),
    ("r1", "reliability", "logistics", "按约定的送货日和时间段把货送到"),
    ("r2", "reliability", "logistics", "送到的卷烟品规和数量与订单一致、包装完好"),
    ("r3", "reliability", "office", "货款扣款准确，没有多扣、错扣"),
    ("r4", "reliability", "service", "我反映的问题第一次就能解决好"),
    ("r5", "reliability", "marketing", "客户经理说到做到，按答应的时间上门"),
    ("s1", "responsiveness", "service", "我咨询的问题能及时得到答复"),
    ("s2", "responsiveness", "service", "会明确告诉我事情什么时候能办好"),
    ("s3", "responsiveness", "service", "工作人员再忙也会及时回应我的请求"),
    ("s4", "responsiveness", "logistics", "断货、破损、错送等急事能很快处理"),
    ("a1", "assurance", "marketing", "客户经理业务熟练，能答好我的经营问题"),
    ("a2", "assurance", "marketing", "工作人员的言行让我信得过"),
    ("a3", "assurance", "it", "订货、付款和店里的信息交给公司让我放心"),
    ("a4", "assurance", "service", "工作人员始终礼貌、耐心"),
    ("e1", "empathy", "marketing", "关注我店的经营情况，给我有针对性的指导"),
    ("e2", "empathy", "service", "服务时间方便我做生意（可以预约上门时间）"),
    ("e3", "empathy", "marketing", "了解我店的具体需要"),
    ("e4", "empathy", "marketing", "把我店的利益放在心上"),
    ("e5", "empathy", "marketing", "节假日和特殊时候给予关心和问候"),
]

POINTS_CODE = "points"
POINTS_TEXT = "请把 100 分按您认为的重要程度分给以下 5 个方面（合计必须为 100 分）"
COMMENT_CODE = "comment"
COMMENT_TEXT = "还有什么想对我们说的？（选填）"

NPS_CODE = "nps-shop"
NPS_NAME = "推荐意愿调查（NPS）"
NPS_TEXT = "您有多大可能向其他零售户推荐我们的服务？"
NPS_LOW = "完全不可能"
NPS_HIGH = "非常可能"
NPS_WHY = "您打这个分的主要原因是什么？（选填）"

# The funnel survey of one service initiative (seed 001): each initiative gets its own copy of
# these four questions with its name filled in. Choice index 0 is "yes".
FUNNEL_CODE_PREFIX = "funnel-"
FUNNEL_NAME = "服务举措调查：{name}"
FUNNEL_YES_NO = {
    "aware": ["知道", "不知道"],
    "interested": ["有兴趣", "没兴趣"],
    "tried": ["用过", "没用过"],
}
FUNNEL_QUESTIONS = [
    ("aware", "choice", "您知道我们推出的“{name}”吗？", {}),
    ("interested", "choice", "您对“{name}”有兴趣吗？", {"question": "aware", "in": [0]}),
    ("tried", "choice", "您用过“{name}”吗？", {"question": "aware", "in": [0]}),
    ("rating", "csat", "用过之后，您对“{name}”满意吗？", {"question": "tried", "in": [0]}),
]
FUNNEL_RATING_LABELS = ("很不满意", "很满意")
