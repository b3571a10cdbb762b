"""The Chinese data the demo city is made of: Hefei's districts, roads, names and products.

Division codes are the real six-digit administrative codes (they start every licence number);
centres are approximate (degrees). Roads and towns are real names of each district.
"""

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class DistrictSpec:
    code: str  # administrative division code, the first six digits of a licence number
    name: str
    abbr: str  # grid codes start with it: LY001
    market_type: str
    share: float  # share of the city's shops
    lat: float
    lng: float
    radius_deg: float  # how far grid centres lie from the district centre
    towns: tuple[str, ...]  # 街道 (urban) or 乡镇 (rural): grids are named after them
    roads: tuple[str, ...]


DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec(
        code="340103",
        name="庐阳区",
        abbr="LY",
        market_type="urban",
        share=0.14,
        lat=31.878,
        lng=117.262,
        radius_deg=0.040,
        towns=_words(
            "亳州路街道 双岗街道 杏林街道 海棠街道 逍遥津街道 林店街道 四里河街道 大杨镇 三十岗乡"
        ),
        roads=_words(
            "长江中路 阜阳路 濉溪路 亳州路 蒙城路 寿春路 淮河路 宿州路 六安路 北一环路 义井路 "
            "四里河路 杏花路 颍州路 清源路"
        ),
    ),
    DistrictSpec(
        code="340102",
        name="瑶海区",
        abbr="YH",
        market_type="urban",
        share=0.15,
        lat=31.858,
        lng=117.309,
        radius_deg=0.040,
        towns=_words(
            "明光路街道 胜利路街道 三里街街道 铜陵路街道 七里站街道 红光街道 大兴镇 方庙街道 "
            "城东街道"
        ),
        roads=_words(
            "长江东路 胜利路 明光路 临泉路 铜陵北路 站前路 新海大道 凤阳路 和平路 大通路 "
            "全椒路 当涂北路 嘉山路 郎溪路"
        ),
    ),
    DistrictSpec(
        code="340104",
        name="蜀山区",
        abbr="SS",
        market_type="urban",
        share=0.17,
        lat=31.851,
        lng=117.231,
        radius_deg=0.045,
        towns=_words(
            "三里庵街道 稻香村街道 琥珀街道 南七街道 西园街道 五里墩街道 笔架山街道 "
            "荷叶地街道 井岗镇 小庙镇"
        ),
        roads=_words(
            "黄山路 长江西路 望江西路 金寨路 潜山路 肥西路 科学大道 五里墩路 稻香路 井岗路 "
            "湖光路 合作化南路 青阳路 荷叶地路"
        ),
    ),
    DistrictSpec(
        code="340111",
        name="包河区",
        abbr="BH",
        market_type="urban",
        share=0.16,
        lat=31.793,
        lng=117.309,
        radius_deg=0.050,
        towns=_words(
            "芜湖路街道 望湖街道 常青街道 包公街道 滨湖世纪社区 方兴社区 义城街道 烟墩街道 "
            "骆岗街道 大圩镇"
        ),
        roads=_words(
            "马鞍山路 徽州大道 望湖城路 芜湖路 宁国路 包河大道 巢湖路 紫云路 庐州大道 延安路 "
            "屯溪路 太湖路 南京路 广西路"
        ),
    ),
    DistrictSpec(
        code="340122",
        name="肥东县",
        abbr="FD",
        market_type="rural",
        share=0.14,
        lat=31.887,
        lng=117.469,
        radius_deg=0.160,
        towns=_words(
            "店埠镇 撮镇镇 梁园镇 桥头集镇 长临河镇 石塘镇 古城镇 八斗镇 元疃镇 白龙镇 包公镇 "
            "众兴乡 杨店乡 张集乡"
        ),
        roads=_words("龙泉路 店忠路 包公大道 站北路 长安路 文明路 金阳路 东风路 新城路 人民路"),
    ),
    DistrictSpec(
        code="340123",
        name="肥西县",
        abbr="FX",
        market_type="rural",
        share=0.13,
        lat=31.706,
        lng=117.158,
        radius_deg=0.160,
        towns=_words(
            "上派镇 三河镇 桃花镇 紫蓬镇 花岗镇 严店乡 丰乐镇 高店乡 官亭镇 山南镇 铭传乡 柿树岗乡"
        ),
        roads=_words("金寨南路 人民路 新华路 祥和路 紫蓬路 上派路 派河大道 宝成路 聚贤路 兴安路"),
    ),
    DistrictSpec(
        code="340121",
        name="长丰县",
        abbr="CF",
        market_type="rural",
        share=0.11,
        lat=32.478,
        lng=117.167,
        radius_deg=0.170,
        towns=_words(
            "水湖镇 庄墓镇 杨庙镇 吴山镇 岗集镇 双墩镇 下塘镇 朱巷镇 造甲乡 左店乡 罗塘乡 义井乡"
        ),
        roads=_words(
            "阜阳北路 蒙城北路 北城大道 魏武路 长丰路 寿州路 双凤大道 沿河路 吴山路 下塘路"
        ),
    ),
)

# Shops per grid: urban grids are small and dense, rural grids large and sparse.
SHOPS_PER_GRID = {"urban": 55, "rural": 75}
SHOP_SPREAD_DEG = {"urban": 0.0035, "rural": 0.015}  # standard deviation around a grid centre

# About a hundred of the commonest surnames, commonest first (weights fall off with rank).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红建国文斌宇浩凯鹏飞俊峰辉波宁晨亮"
    "海燕萍丹琳雪梅春林云志成德福贵荣晓东新立永坤庆生家保才秀珍凤翠"
)

SHOP_WORDS = _words(
    "鑫源 兴旺 福满 顺发 家乐 金辉 万家 百姓 好运来 聚福 佳美 利民 德顺 永兴 恒信 "
    "春晖 益民 和顺 旺福 天天 诚信 美家 乐购 丰源 隆盛 宏达 吉祥 鸿运 富民 邻里"
)
# (business type, name templates): {surname} {word} {name} {place} {road} {village} are filled in.
SHOP_NAME_TEMPLATES: dict[str, tuple[str, ...]] = {
    "convenience": (
        "{surname}{word}便利店",
        "{word}便利店",
        "{place}便利店",
        "{word}便利店（{road}店）",
        "{surname}记便利店",
    ),
    "grocery": (
        "{name}副食店",
        "{surname}{word}副食百货",
        "惠民副食店",
        "{place}日杂店",
        "{surname}家小卖部",
        "{word}副食商店",
        "{village}{word}商店",
    ),
    "tobacco_liquor": (
        "{place}烟酒商行",
        "{surname}{word}烟酒店",
        "{word}名烟名酒",
        "{name}烟酒行",
    ),
    "supermarket": (
        "{name}超市",
        "{word}生活超市",
        "{surname}{word}超市",
        "{word}连锁超市（{road}店）",
        "{place}购物中心",
    ),
    "kiosk": ("{road}报刊亭", "{surname}记小卖部", "{place}书报亭"),
    "catering": ("{surname}{word}饭店", "{place}农家乐", "{word}酒家", "{surname}记小吃"),
    "entertainment": ("{word}棋牌室", "{word}KTV", "{word}网咖"),
    "other": ("{word}五金店", "{surname}{word}批发部", "{place}综合商店"),
}
VILLAGE_SUFFIXES = "郢洼岗集圩庄店湾"  # 郢 and 圩 are typical of Hefei's villages

# Business types by market: (type, urban weight, rural weight, grade bonus).
BUSINESS_TYPES = (
    ("grocery", 0.26, 0.46, 0),
    ("convenience", 0.30, 0.16, 1),
    ("tobacco_liquor", 0.13, 0.10, 4),
    ("supermarket", 0.10, 0.10, 5),
    ("kiosk", 0.09, 0.06, -2),
    ("catering", 0.07, 0.07, -1),
    ("entertainment", 0.03, 0.02, 0),
    ("other", 0.02, 0.03, -1),
)

# Preferred contact channels (ContactChannel values) and how often shops choose each.
CONTACT_CHANNELS = (("wechat", 0.8), ("phone", 0.55), ("app", 0.35), ("sms", 0.2), ("visit", 0.2))

# Tobacco products: (brand, specification, price per carton 条 in yuan, popularity).
PRODUCTS: tuple[tuple[str, str, int, float], ...] = (
    ("黄山", "黄山(红方印)", 190, 9.0),
    ("黄山", "黄山(新一品)", 150, 8.0),
    ("黄山", "黄山(大红方印)", 260, 5.0),
    ("黄山", "黄山(小红方印)", 160, 6.0),
    ("黄山", "黄山(徽商新概念)", 380, 2.5),
    ("黄山", "黄山(中国画)", 300, 3.0),
    ("黄山", "黄山(金皖烟)", 190, 4.0),
    ("黄山", "黄山(记忆)", 250, 2.5),
    ("黄山", "黄山(天都)", 1000, 0.4),
    ("中华", "中华(硬)", 450, 4.0),
    ("中华", "中华(软)", 650, 1.5),
    ("中华", "中华(双中支)", 450, 2.0),
    ("中华", "中华(金中支)", 500, 1.0),
    ("芙蓉王", "芙蓉王(硬)", 250, 3.5),
    ("芙蓉王", "芙蓉王(硬蓝)", 360, 1.0),
    ("芙蓉王", "芙蓉王(细支)", 300, 1.0),
    ("利群", "利群(新版)", 140, 4.0),
    ("利群", "利群(软红长嘴)", 260, 2.0),
    ("利群", "利群(阳光)", 200, 2.0),
    ("利群", "利群(休闲)", 250, 1.5),
    ("玉溪", "玉溪(软)", 230, 3.0),
    ("玉溪", "玉溪(硬)", 220, 2.0),
    ("玉溪", "玉溪(初心)", 250, 1.2),
    ("玉溪", "玉溪(中支和谐)", 350, 1.0),
    ("南京", "南京(红)", 120, 4.0),
    ("南京", "南京(炫赫门)", 180, 3.5),
    ("南京", "南京(十二钗烤烟)", 200, 2.0),
    ("南京", "南京(雨花石)", 600, 0.6),
    ("云烟", "云烟(紫)", 110, 3.0),
    ("云烟", "云烟(软珍品)", 210, 1.5),
    ("云烟", "云烟(细支云龙)", 330, 0.8),
    ("红塔山", "红塔山(经典1956)", 100, 4.0),
    ("红塔山", "红塔山(硬经典)", 100, 3.0),
    ("红塔山", "红塔山(大经典)", 150, 1.5),
    ("七匹狼", "七匹狼(白)", 100, 2.5),
    ("七匹狼", "七匹狼(通仙)", 200, 1.0),
    ("七匹狼", "七匹狼(纯境)", 130, 1.5),
    ("泰山", "泰山(红将军)", 120, 2.5),
    ("泰山", "泰山(心悦)", 200, 1.0),
    ("泰山", "泰山(望岳)", 350, 0.6),
)
# Products are numbered like retail barcodes of China's tobacco industry (690 1028 …).
PRODUCT_CODE_PREFIX = "6901028"

# Staff: departments (accounts.Department codes) and skills (accounts.Skill codes) per role.
STAFF_DEPARTMENTS = {
    "admin": "it",
    "service_manager": ("service", "marketing"),
    "dispatcher": ("service", "logistics"),
    "account_manager": "marketing",
    # Every third service staff member works the logistics desk (delivery requests route there).
    "service_staff": ("service", "service", "logistics"),
}
STAFF_SKILLS = {
    "account_manager": ("brand", "display", "analysis"),
    "service_staff": ("equipment", "licence", "display"),
}

# Payments that bounce, and why.
PAYMENT_FAILURE_REASONS = ("余额不足", "余额不足", "余额不足", "银行卡状态异常", "超出单日扣款限额")

# Service requests (demo/requests.py). Placeholders: {brand} a product, {n} a small number,
# {weekday} 周一…周五, {amount} yuan, {reason} why a deduction failed, {hour} a clock hour.
# Per request type: (title, the shop's description, the owner's resolution note).
REQUEST_SCENARIOS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "order_problem": (
        (
            "订货系统提交不了订单",
            "今天上午在订货系统里提交订单，一直提示“提交失败，请稍后重试”，试了好几次都不行。",
            "系统接口故障已修复，已协助您重新提交订单，请查收订单确认短信。",
        ),
        (
            "{brand}订不上",
            "{brand}在订货页面显示可订，加入购物车后提交就报错，麻烦看一下。",
            "该品规本周货源已调整，已为您恢复可订量，请重新下单。",
        ),
        (
            "订货量被限制了",
            "这周的{brand}只能订{n}条，之前每周都能订更多，是不是档级调整了？",
            "已核实，本周按新档级分配货源，已向您解释调整原因和升档条件。",
        ),
        (
            "订货页面打不开",
            "订货页面打开后一直转圈，换了手机也一样，今天是我们的订货日，着急。",
            "已为您清除登录缓存并重置账号，现在可以正常订货。",
        ),
    ),
    "order_change": (
        (
            "多订了{n}条，申请退订",
            "本周订单里{brand}多订了{n}条，想改少一点，还没配送，麻烦帮忙修改。",
            "订单已按您的要求修改，扣款金额同步调整。",
        ),
        (
            "订单里品规选错了",
            "下单时把{brand}选错了，想换成别的规格，请帮忙处理。",
            "已为您更换品规，随本周配送送达。",
        ),
        (
            "申请追加订货",
            "店里临时有团购需求，想在本周订单里追加{n}条{brand}，能否安排？",
            "已在可供货源内为您追加订货，随本周配送。",
        ),
    ),
    "delivery_late": (
        (
            "今天的货还没送到",
            "平时{hour}点左右就送到了，今天到现在还没来，打送货员电话也没人接。",
            "线路车辆途中故障，货物已于当天送达，给您带来不便，敬请谅解。",
        ),
        (
            "送货时间不固定",
            "最近几次送货都比约定时间晚两三个小时，影响我们开门营业，希望能固定时间。",
            "已与线路司机确认，今后按约定时段送达，提前电话通知。",
        ),
        (
            "{weekday}的货一直没到",
            "{weekday}应该到的货到现在还没送，店里{brand}已经断货了。",
            "货物已补送到店，已提醒线路按计划配送。",
        ),
    ),
    "delivery_complaint": (
        (
            "送货少了{n}条",
            "今天到货清点后发现{brand}少了{n}条，送货员已经走了，请核实补送。",
            "经核实为装车遗漏，少送的卷烟已安排在下一次配送时补送。",
        ),
        (
            "卷烟包装破损",
            "收到的{brand}有{n}条外包装破损、受潮，没法上柜销售，要求更换。",
            "破损卷烟已安排更换，随下一次配送送达，请届时签收。",
        ),
        (
            "送错了品规",
            "订的是{brand}，送来的却是别的规格，请尽快处理。",
            "错送品规已安排调换，下一次配送时一并收回。",
        ),
        (
            "到货与订单不符",
            "签收时没来得及细点，开箱后发现少了{n}条，有监控可以查。",
            "已调取出库复核记录，确认少送{n}条，已安排补送。",
        ),
    ),
    "stock_replenish": (
        (
            "{brand}断货，申请补货",
            "{brand}这两周卖得特别好，每次只分到{n}条，顾客经常买不到，希望增加货源。",
            "已为您协调增加{brand}货源，本周可多订{n}条。",
        ),
        (
            "热销品规缺货",
            "店里{brand}已经断货{n}天了，周边几家店也没有，能不能协调一点？",
            "该品规全市紧俏，已登记需求，到货后优先安排。",
        ),
        (
            "新品什么时候能订",
            "听说{brand}出了新规格，我们店什么时候可以订？",
            "新品下周起按档级投放，已为您登记首批订货。",
        ),
    ),
    "payment_failed": (
        (
            "扣款失败",
            "今天收到短信说扣款失败，原因是{reason}，现在已经存好钱了，请重新扣款。",
            "已重新扣款成功，不影响本周配送。",
        ),
        (
            "账户余额够但扣款失败",
            "银行卡里有钱，但系统显示本次{amount}元扣款失败，不知道是什么原因。",
            "经核实为银行卡单日限额所致，已改为分笔扣款，扣款成功。",
        ),
        (
            "扣款失败会不会影响配送",
            "扣款失败会不会影响这周的配送？麻烦尽快帮我处理一下。",
            "已为您改为微信支付，扣款成功，配送不受影响。",
        ),
    ),
    "payment_query": (
        (
            "扣款金额和订单不一致",
            "本周扣款{amount}元，和我算的订单金额对不上，麻烦帮忙核对一下明细。",
            "已核对，扣款金额含上周补扣部分，明细已发您。",
        ),
        (
            "申请开具发票",
            "需要开上个月的发票，请问怎么申请，多久能拿到？",
            "发票已开具，可在本页下载电子发票。",
        ),
        (
            "查询近期结算记录",
            "想查一下最近三个月的订货和扣款记录，方便对账。",
            "近三个月的订货和扣款明细已导出发您，请查收。",
        ),
    ),
    "licence_renewal": (
        (
            "许可证即将到期，申请延续",
            "我的烟草专卖零售许可证下个月到期，需要办理延续，请问要准备哪些材料？",
            "许可证延续已办结，新证可到专卖管理科领取。",
        ),
        (
            "咨询新办许可证",
            "家里人想在隔壁街开店，咨询一下新办许可证的条件和流程。",
            "已告知新办条件和材料清单，申请已受理，办结后短信通知。",
        ),
        (
            "许可证延续材料提交",
            "延续申请的材料已经准备好了，想预约时间提交，或者可以线上办理吗？",
            "材料已线上受理并审核通过，延续手续已办结。",
        ),
    ),
    "licence_change": (
        (
            "许可证地址变更",
            "店铺要搬到同一条街的新门面，需要办理许可证地址变更。",
            "经营场所核查合格，许可证地址变更已办结。",
        ),
        (
            "申请暂停营业",
            "家里有事，想暂停营业{n}个月，许可证这边需要办什么手续？",
            "暂停营业手续已办理完毕，恢复营业前请提前告知。",
        ),
        (
            "经营者变更",
            "店交给儿子经营了，想把许可证的经营者变更过去。",
            "经营者变更已办结，请携带原证到专卖管理科换领新证。",
        ),
    ),
    "display_coaching": (
        (
            "申请陈列指导",
            "新换了烟柜，不太会摆，希望客户经理来店里指导一下陈列。",
            "客户经理已上门完成陈列指导，按品牌分区重新布置了烟柜。",
        ),
        (
            "{brand}怎么陈列更显眼",
            "想把{brand}摆得更显眼一些，有没有陈列方案可以参考？",
            "已上门调整陈列，并留下陈列示意图供参考。",
        ),
    ),
    "shop_improvement": (
        (
            "申请终端形象提升",
            "店面比较旧，想申请终端形象提升项目，请问有什么条件？",
            "已纳入本季度终端形象提升计划，施工时间另行电话通知。",
        ),
        (
            "烟柜灯箱坏了",
            "烟柜灯箱坏了，顺便想整体改造一下店面形象。",
            "已安排更换灯箱，店面改造方案已与您确认。",
        ),
    ),
    "equipment_fault": (
        (
            "订货终端打不开",
            "店里的订货终端今天早上开机后一直黑屏，重启也没用。",
            "终端主板故障，已上门更换设备，测试正常。",
        ),
        (
            "扫码枪不能用",
            "扫码枪扫{brand}的条码没反应，其他商品正常。",
            "已更新条码库并重新配置扫码枪，现在可以正常扫码。",
        ),
        (
            "零售终端连不上网",
            "零售终端显示网络连接失败，已经重启了路由器，还是不行。",
            "网络配置已远程修复，终端恢复联网。",
        ),
    ),
    "consultation": (
        (
            "咨询档级评定",
            "想了解一下档级是怎么评定的，我们店怎样才能升档？",
            "已电话详细解答档级评定规则和升档建议。",
        ),
        (
            "咨询零售指导价",
            "请问{brand}的零售指导价是多少？",
            "已告知{brand}的零售指导价，并发送最新价目表。",
        ),
        (
            "咨询积分兑换",
            "积分商城的积分怎么兑换，有没有截止时间？",
            "已说明积分兑换方式和有效期。",
        ),
    ),
    "complaint": (
        (
            "投诉送货员服务态度",
            "送货员态度很差，让我自己到车上搬货，希望公司管一管。",
            "已核实并对送货员批评教育，感谢您的监督。",
        ),
        (
            "投诉客户经理不回电话",
            "上周反映的问题一直没人回复，打客户经理电话也不接。",
            "服务经理已向您当面致歉，客户经理已跟进处理原问题。",
        ),
        (
            "对处理结果不满意",
            "之前的少送问题说好补送，到现在还没补，很不满意。",
            "已补送到店并向您致歉，今后补送将电话确认。",
        ),
    ),
    "suggestion": (
        (
            "建议延长订货时间",
            "希望订货时间能延长到晚上，白天店里忙顾不上。",
            "感谢您的建议，已转相关部门研究。",
        ),
        (
            "建议优化订货页面",
            "订货页面字太小，年纪大的人看不清，建议增加大字模式。",
            "感谢建议，大字模式已列入系统优化计划。",
        ),
        (
            "关于配送时间的建议",
            "建议农村线路的送货时间提前通知，方便我们安排人收货。",
            "感谢建议，农村线路已开通到店前短信提醒。",
        ),
    ),
}
REQUEST_SCENARIO_OTHER = (
    ("业务咨询", "有个问题想咨询一下，麻烦联系我。", "已电话联系并解答，如有问题请随时联系。"),
)

# The owner's first reply (a canned acknowledgement, public).
REQUEST_ACKS = (
    "您好，您的诉求我们已收到，正在安排处理，请保持电话畅通。",
    "您好，已收到，我们马上核实，稍后给您回复。",
    "您好，已为您登记，处理进展会在这里及时告知。",
)
# Asking the shop for what is missing (the request then waits on the shop).
REQUEST_ASKS: dict[str, tuple[str, ...]] = {
    "delivery_complaint": (
        "请在本页补充破损包装或到货清单的照片，方便我们核实。",
        "请提供签收单照片和缺少的品规、数量。",
    ),
    "payment_failed": ("请确认账户已存入足额款项，存好后回复我们重新扣款。",),
    "licence_renewal": ("请补充营业执照和身份证照片，以及经营场所证明。",),
    "licence_change": (
        "请提供新经营场所的租赁合同和照片。",
        "请补充变更申请表，并由经营者本人签字。",
    ),
    "equipment_fault": ("请拍一下设备屏幕的报错信息，方便技术人员判断。",),
}
REQUEST_ASKS_OTHER = ("请补充一下具体情况和照片，方便我们尽快处理。", "请问您方便的联系时间是？")
REQUEST_SHOP_REPLIES = (
    "照片已经上传了，请查看。",
    "材料已经补充，麻烦看一下还缺什么。",
    "下午两点以后店里都有人。",
    "好的，已按要求补充。",
)
REQUEST_INTERNAL_NOTES: dict[str, tuple[str, ...]] = {
    "delivery_complaint": ("已调取出库复核记录，需核实车上装载。", "已联系线路司机核实。"),
    "delivery_late": ("线路车辆故障，已协调其他车辆。", "今日线路临时调整，已与司机确认到店时间。"),
    "complaint": ("客户情绪较大，处理后注意回访。", "已向服务经理汇报。"),
    "licence_renewal": ("材料齐全，等待专卖科审核。",),
    "equipment_fault": ("疑似终端硬件故障，需上门更换。",),
}
REQUEST_INTERNAL_OTHER = ("已电话联系客户，了解具体情况。", "该户近期多次反映类似问题，注意跟进。")
REQUEST_REOPENS = (
    "问题没有解决，还是和原来一样。",
    "还是不行，今天又出现同样的问题。",
    "和说的不一样，请再处理一下。",
)
REQUEST_RESOLVED_AGAIN = ("已再次核实并处理完毕，问题已解决。", "已上门复查，问题已彻底解决。")
REQUEST_HANDOVERS = (
    "转交负责该片区的同事处理。",
    "需要专人处理，已转交。",
    "本人外出，转同事跟进。",
)
REQUEST_DISPATCHES = ("按片区分派。", "按业务类型分派。", "该类诉求由其负责。")
# Support tasks (部门联动), per department: (what the owner asks for, what the department answers).
REQUEST_SUPPORT: dict[str, tuple[tuple[str, str], ...]] = {
    "logistics": (
        ("请安排下次配送补送缺少的卷烟。", "已随线路补送并签收。"),
        ("请核实出库和装车记录。", "已核实为装车遗漏，已补送到店。"),
        ("请调整线路到店时间。", "线路到店时间已调整。"),
    ),
    "monopoly": (
        ("请审核许可证申请材料。", "材料审核通过。"),
        ("请安排实地核查经营场所。", "实地核查合格。"),
    ),
    "it": (
        ("请排查订货系统报错。", "系统故障已修复。"),
        ("请上门检修零售终端设备。", "设备已更换，测试正常。"),
    ),
    "marketing": (("请协调货源分配。", "已调整货源分配。"),),
}
