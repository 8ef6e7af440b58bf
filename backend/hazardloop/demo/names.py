"""Words the demo data is made of: people's names, roads, compounds and site-name patterns.

All names are invented to sound like 拱墅区; road names are real streets of the district so
addresses read naturally, but no site, company or person here exists. Brand names of real
chains are avoided on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from hazardloop.taxonomy import Domain, SiteCategory

# Common surnames, with the ones frequent in 浙江 (沈, 钱, 陆, 金, 俞, 楼 …) well represented.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜钟陆汪范金石夏方邹孟熊邱江尹薛顾毛邵钱严戴孔汤俞楼应章鲍倪竺裘"
)

GIVEN_NAMES = (
    "建国", "建华", "志强", "国平", "海燕", "丽萍", "晓东", "秀英", "桂芳", "玉兰",
    "伟", "芳", "敏", "静", "磊", "军", "勇", "杰", "涛", "斌", "超", "鹏", "婷", "燕",
    "明辉", "春华", "志刚", "永明", "建军", "红梅", "晓燕", "丽华", "美玲", "小红",
    "宇航", "子涵", "思远", "佳怡", "浩然", "欣怡", "梓萱", "一鸣", "嘉豪", "雨桐",
    "文杰", "俊杰", "晨阳", "诗琪", "家豪", "亚男", "立新", "卫东", "金根", "阿毛",
    "国庆", "爱华", "水根", "菊芬", "月娥", "根宝", "雪芬", "培林", "荣华", "利民",
)

# Mainland mobile prefixes in common use (三大运营商 and their sub-brands).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
)

# Real roads of each area, so an address points roughly where its grid is.
AREA_ROADS: dict[str, tuple[str, ...]] = {
    "湖墅街道": ("湖墅南路", "湖墅北路", "夹城巷", "霞湾巷", "卖鱼桥路", "信义巷"),
    "米市巷街道": ("米市巷", "大兜路", "左家新村路", "环城北路", "中山北路", "珠儿潭巷"),
    "小河街道": ("小河路", "长乐路", "登云路", "红石板路", "台州路", "丽水路"),
    "运河智慧产业园": ("祥园路", "智汇路", "运河东路", "石祥路", "丰登路", "康运路"),
}

# 住宅小区/楼宇 of each community (or of a park's own grids), for rental flats,
# residential lifts and e-bike charging sheds.
COMPOUNDS: dict[str, tuple[str, ...]] = {
    "卖鱼桥社区": ("卖鱼桥小区", "湖墅嘉园"),
    "信义坊社区": ("信义坊公寓", "夹城巷小区"),
    "仓基新村社区": ("仓基新村", "霞湾巷小区"),
    "左家新村社区": ("左家新村", "米市巷公寓"),
    "大兜路社区": ("大兜路小区", "运河嘉苑"),
    "珠儿潭社区": ("珠儿潭新村", "锦绣苑"),
    "长乐社区": ("长乐苑", "长乐新村"),
    "红石板社区": ("红石板小区", "登云公寓"),
    "小河社区": ("小河佳苑", "小河公寓"),
    "运河湾社区": ("运河湾花园", "智汇人才公寓"),
    "运河智慧产业园": ("产业园职工宿舍", "祥园人才公寓"),
}

# Places and areas that lend their name to markets, malls and the like.
LOCAL_NAMES = ("运河", "湖墅", "大关", "卖鱼桥", "小河", "长乐", "信义坊", "米市巷", "登云",
               "珠儿潭", "大兜路", "祥园", "红石板", "桥西")


@dataclass(frozen=True)
class NameStyle:
    """One way a site of a category is named, registered and addressed.

    ``template`` may use {road}, {core}, {kind}, {compound}, {surname}, {building},
    {unit}, {room}, {local}. ``credit`` is the first two characters of its 统一社会信用代码
    (91 企业, 92 个体工商户, 52 民办非企业单位) or None when it has none.
    ``address`` is one of "street", "upstairs", "flat", "compound", "crossing".
    """

    template: str
    cores: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    credit: str | None = "91"
    address: str = "street"
    weight: int = 1
    extra_domains: tuple[Domain, ...] = ()


_SHOP_CORES = ("兴旺", "佳佳", "万家", "惠民", "如意", "百姓", "鑫鑫", "顺发", "好运", "金源",
               "福满", "家乐", "便民", "丰收", "永盛", "聚源", "祥和", "和顺", "邻里", "康乐")
_SHOP_KINDS = ("便利店", "超市", "烟酒店", "五金店", "水果店", "杂货店", "文具店", "副食品店",
               "手机维修店", "日用百货店", "粮油店", "母婴用品店")
_EATERY_CORES = ("老杭州", "阿华", "张记", "王记", "好味道", "小胖", "老街", "运河", "胖哥",
                 "阿婆", "老地方", "桥西", "巷口", "兰州", "沙县", "重庆", "东北", "温州")
_EATERY_KINDS = ("面馆", "小吃店", "馄饨店", "包子铺", "快餐店", "麻辣烫", "拉面馆", "片儿川面馆",
                 "煲仔饭", "烧烤店", "饺子馆", "粥铺", "米线店", "炸鸡店", "生煎馆", "奶茶店")
_COMPANY_CORES = ("恒达", "华丰", "永信", "金鼎", "宏图", "鑫源", "中恒", "东升", "新宇", "伟业",
                  "天成", "瑞丰", "百川", "海纳", "嘉诚", "锦程", "正和", "博远", "立信", "万通")

CATEGORY_STYLES: dict[SiteCategory, tuple[NameStyle, ...]] = {
    SiteCategory.SMALL_SHOP: (
        NameStyle("{road}{core}{kind}", _SHOP_CORES, _SHOP_KINDS, credit="92", weight=5),
        NameStyle("{core}{kind}", _SHOP_CORES, _SHOP_KINDS, credit="92", weight=3),
        NameStyle("{surname}记{kind}", kinds=_SHOP_KINDS, credit=None, weight=2),
    ),
    SiteCategory.SMALL_RESTAURANT: (
        NameStyle("{core}{kind}", _EATERY_CORES, _EATERY_KINDS, credit="92", weight=6),
        NameStyle("{core}{kind}（{road}店）", _EATERY_CORES, _EATERY_KINDS, credit="92", weight=2),
        NameStyle("{surname}家{kind}", kinds=_EATERY_KINDS, credit=None, weight=2),
    ),
    SiteCategory.SMALL_HOTEL: (
        NameStyle("{core}{kind}", ("悦来", "如归", "桥西", "湖畔", "平安", "嘉禾", "安心", "温馨",
                                   "运河人家", "拱宸"),
                  ("宾馆", "旅馆", "快捷酒店", "民宿", "客栈", "商务宾馆"), credit="92"),
    ),
    SiteCategory.SMALL_ENTERTAINMENT: (
        NameStyle("{core}{kind}", ("星光", "纵情", "麦乐", "回声", "金曲", "夜色", "欢聚", "声动"),
                  ("KTV", "量贩KTV", "歌舞厅", "音乐酒吧", "剧本杀馆", "桌游吧"),
                  credit="92", address="upstairs"),
    ),
    SiteCategory.SMALL_INTERNET_CAFE: (
        NameStyle("{core}{kind}", ("星际", "风云", "战神", "雷霆", "飞翔", "蓝天", "零点", "极光"),
                  ("网咖", "网吧", "电竞馆"), credit="92", address="upstairs"),
    ),
    SiteCategory.SMALL_BEAUTY_BATH: (
        NameStyle("{core}{kind}", ("舒心", "康乐", "怡然", "丽人", "美丽", "名剪", "悦容", "御足",
                                   "静心", "福泰"),
                  ("足浴店", "美容美发", "理发店", "养生馆", "美甲店", "推拿馆", "洗浴中心"),
                  credit="92", weight=4),
        NameStyle("{core}{kind}", ("舒心", "康乐", "怡然", "丽人", "名剪", "静心"),
                  ("足浴店", "理发店", "推拿馆"), credit="92", address="upstairs", weight=1),
    ),
    SiteCategory.SMALL_WORKSHOP: (
        NameStyle("{core}{kind}", ("永兴", "鑫达", "华丰", "恒通", "金盛", "宏达", "利民", "兴隆"),
                  ("服装加工厂", "印刷厂", "家具加工坊", "食品加工作坊", "五金加工部",
                   "广告制作部", "木器加工坊", "纸箱加工厂", "不锈钢加工部"), credit="92"),
    ),
    SiteCategory.SMALL_CLINIC: (
        NameStyle("{core}{kind}", ("康宁", "仁和", "济民", "博爱", "安康", "百草", "惠康", "德仁"),
                  ("口腔诊所", "中医诊所", "牙科诊所", "门诊部"), credit="92"),
    ),
    SiteCategory.SMALL_SCHOOL: (
        NameStyle("杭州市拱墅区{core}{kind}", ("启航", "阳光", "育才", "博雅", "童乐", "星星",
                                               "新知", "未来", "智慧树"),
                  ("培训学校", "艺术培训中心", "幼儿园", "托育园", "舞蹈培训学校", "书法培训中心"),
                  credit="52", address="upstairs"),
    ),
    SiteCategory.RESTAURANT: (
        NameStyle("{core}{kind}", ("运河人家", "湖墅", "江南", "知味", "望江", "金福", "聚福",
                                   "桥西", "外婆味道", "老灶台", "钱塘", "福满楼"),
                  ("酒家", "酒楼", "餐厅", "火锅店", "烤肉馆", "私房菜", "海鲜楼", "食府"),
                  credit="91", weight=3),
        NameStyle("{core}{kind}", ("老杭帮", "阿英", "沈记", "钱记", "江南小院"),
                  ("菜馆", "土菜馆", "杭帮菜馆"), credit="92", weight=2),
    ),
    SiteCategory.INDUSTRY_TRADE: (
        NameStyle("杭州{core}{kind}有限公司", _COMPANY_CORES,
                  ("机械制造", "纺织", "印刷包装", "食品", "电子科技", "金属制品", "塑料制品",
                   "家具制造", "建材", "服饰", "五金制品", "汽车配件"), credit="91"),
    ),
    SiteCategory.CONSTRUCTION_SITE: (
        NameStyle("{core}·{kind}项目工地", ("拱宸建工", "浙江宏远建设", "杭州运河建工",
                                             "浙江华晟建设", "杭州城发建设", "浙江东方建工"),
                  ("运河湾", "大关单元安置房", "小河路综合体", "湖墅学校改扩建", "丽水路地下通道",
                   "智慧产业园二期", "长乐苑老旧小区改造", "登云路人才公寓", "祥园路地铁上盖",
                   "红石板安置房", "卖鱼桥历史街区改造", "运河体育公园"),
                  credit="91", address="crossing"),
    ),
    SiteCategory.HAZCHEM_UNIT: (
        NameStyle("杭州拱墅{core}加油站", ("石祥", "祥园", "运河"), credit="91",
                  extra_domains=(Domain.ROAD_TRAFFIC,)),
        NameStyle("杭州{core}化工贸易有限公司", _COMPANY_CORES, credit="91"),
        NameStyle("杭州{core}工业气体有限公司", _COMPANY_CORES, credit="91",
                  extra_domains=(Domain.SPECIAL_EQUIPMENT,)),  # 气瓶充装 is 特种设备
    ),
    SiteCategory.CROWDED_PLACE: (
        NameStyle("{local}{kind}", kinds=("购物中心", "商业广场"), credit="91",
                  extra_domains=(Domain.SPECIAL_EQUIPMENT,)),  # lifts and escalators
        NameStyle("{local}{kind}", kinds=("农贸市场", "菜市场"), credit="91"),
        NameStyle("{local}{kind}", kinds=("影城", "体育馆", "游泳馆", "文化中心"), credit="91"),
        NameStyle("{core}{kind}", ("家家福", "惠多", "优品", "邻家", "百润"),
                  ("生活超市", "购物广场"), credit="91"),
    ),
    SiteCategory.RENTAL_HOUSING: (
        # Most 出租房 are flats let by private landlords: no credit code.
        NameStyle("{compound}{building}-{unit}-{room}出租房", credit=None, address="flat",
                  weight=4),
        NameStyle("{core}{kind}", ("安居", "乐租", "青禾", "如家", "城市", "运河"),
                  ("青年公寓", "人才公寓", "长租公寓"), credit="91", weight=1),
    ),
    SiteCategory.EBIKE_CHARGING: (
        NameStyle("{compound}电动自行车集中充电点", credit=None, address="compound"),
        NameStyle("{compound}{building}号充电棚", credit=None, address="compound"),
        NameStyle("{local}{kind}", kinds=("智能充电站", "电动车充电中心"), credit="91"),
    ),
    SiteCategory.ELEVATOR_USER: (
        NameStyle("{compound}", credit="91", address="compound", weight=2),  # 物业服务企业
        NameStyle("{local}{kind}", kinds=("大厦", "商务中心", "时代广场", "科创大楼"), credit="91"),
    ),
    SiteCategory.WAREHOUSE: (
        NameStyle("杭州{core}{kind}有限公司", _COMPANY_CORES, ("物流", "仓储", "供应链"),
                  credit="91"),
        NameStyle("{core}{kind}", _COMPANY_CORES, ("冷链仓储中心", "快递分拣中心"), credit="91"),
    ),
}
