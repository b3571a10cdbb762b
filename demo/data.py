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
    "service_staff": "service",
}
STAFF_SKILLS = {
    "account_manager": ("brand", "display", "analysis"),
    "service_staff": ("equipment", "licence", "display"),
}

# Payments that bounce, and why.
PAYMENT_FAILURE_REASONS = ("余额不足", "余额不足", "余额不足", "银行卡状态异常", "超出单日扣款限额")
