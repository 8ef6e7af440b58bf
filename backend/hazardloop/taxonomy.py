"""The district's fixed vocabularies: domains, site categories, risk levels and roles.

Codes are stable identifiers stored in the database and used in checklist files;
the Chinese labels are what people see.
"""

from __future__ import annotations

import enum


class Domain(enum.StrEnum):
    """监管领域: the seven key areas (七大重点领域) plus 工贸 and 九小场所."""

    CONSTRUCTION = "construction"
    HAZCHEM = "hazchem"
    FIRE = "fire"
    ROAD_TRAFFIC = "road_traffic"
    SPECIAL_EQUIPMENT = "special_equipment"
    URBAN_OPERATION = "urban_operation"
    COMMERCE_TOURISM = "commerce_tourism"
    INDUSTRY_TRADE = "industry_trade"
    NINE_SMALL = "nine_small"


DOMAIN_LABELS: dict[Domain, str] = {
    Domain.CONSTRUCTION: "建设施工",
    Domain.HAZCHEM: "危化",
    Domain.FIRE: "消防安全",
    Domain.ROAD_TRAFFIC: "道路交通",
    Domain.SPECIAL_EQUIPMENT: "特种设备",
    Domain.URBAN_OPERATION: "城市运行",
    Domain.COMMERCE_TOURISM: "商贸旅游",
    Domain.INDUSTRY_TRADE: "工贸",
    Domain.NINE_SMALL: "九小场所",
}


class SiteCategory(enum.StrEnum):
    """场所类别: what kind of 生产经营单位 or place a site is."""

    SMALL_SHOP = "small_shop"
    SMALL_RESTAURANT = "small_restaurant"
    SMALL_HOTEL = "small_hotel"
    SMALL_ENTERTAINMENT = "small_entertainment"
    SMALL_INTERNET_CAFE = "small_internet_cafe"
    SMALL_BEAUTY_BATH = "small_beauty_bath"
    SMALL_WORKSHOP = "small_workshop"
    SMALL_CLINIC = "small_clinic"
    SMALL_SCHOOL = "small_school"
    RESTAURANT = "restaurant"
    INDUSTRY_TRADE = "industry_trade"
    CONSTRUCTION_SITE = "construction_site"
    HAZCHEM_UNIT = "hazchem_unit"
    CROWDED_PLACE = "crowded_place"
    RENTAL_HOUSING = "rental_housing"
    EBIKE_CHARGING = "ebike_charging"
    ELEVATOR_USER = "elevator_user"
    WAREHOUSE = "warehouse"
    HIGH_RISE = "high_rise"
    RESIDENTIAL_COMMUNITY = "residential_community"
    SCHOOL = "school"
    CLINIC = "clinic"
    ELDERLY_CARE = "elderly_care"
    BOILER_USER = "boiler_user"
    TRANSPORT_COMPANY = "transport_company"
    GAS_USER = "gas_user"
    OUTDOOR_ADVERTISING = "outdoor_advertising"


SITE_CATEGORY_LABELS: dict[SiteCategory, str] = {
    SiteCategory.SMALL_SHOP: "小商店",
    SiteCategory.SMALL_RESTAURANT: "小餐饮",
    SiteCategory.SMALL_HOTEL: "小旅馆",
    SiteCategory.SMALL_ENTERTAINMENT: "小歌舞娱乐",
    SiteCategory.SMALL_INTERNET_CAFE: "小网吧",
    SiteCategory.SMALL_BEAUTY_BATH: "小美容洗浴",
    SiteCategory.SMALL_WORKSHOP: "小生产加工",
    SiteCategory.SMALL_CLINIC: "小医疗诊所",
    SiteCategory.SMALL_SCHOOL: "小学校/幼儿园/培训机构",
    SiteCategory.RESTAURANT: "餐饮",
    SiteCategory.INDUSTRY_TRADE: "工贸企业",
    SiteCategory.CONSTRUCTION_SITE: "建筑工地",
    SiteCategory.HAZCHEM_UNIT: "危化品单位",
    SiteCategory.CROWDED_PLACE: "人员密集场所",
    SiteCategory.RENTAL_HOUSING: "出租房",
    SiteCategory.EBIKE_CHARGING: "电动自行车集中停放充电场所",
    SiteCategory.ELEVATOR_USER: "电梯使用单位（住宅小区/商业楼宇）",
    SiteCategory.WAREHOUSE: "仓储物流",
    SiteCategory.HIGH_RISE: "高层民用建筑",
    SiteCategory.RESIDENTIAL_COMMUNITY: "住宅小区/老旧小区",
    SiteCategory.SCHOOL: "中小学校/幼儿园",
    SiteCategory.CLINIC: "医疗机构",
    SiteCategory.ELDERLY_CARE: "养老机构",
    SiteCategory.BOILER_USER: "锅炉/压力容器/起重机械/场（厂）内机动车辆使用单位",
    SiteCategory.TRANSPORT_COMPANY: "道路运输企业",
    SiteCategory.GAS_USER: "居民及瓶装燃气用户",
    SiteCategory.OUTDOOR_ADVERTISING: "户外广告设施",
}

_D = Domain
# The 监管领域 a site of each category falls under unless its record says otherwise.
CATEGORY_DOMAINS: dict[SiteCategory, tuple[Domain, ...]] = {
    SiteCategory.SMALL_SHOP: (_D.NINE_SMALL, _D.FIRE),
    SiteCategory.SMALL_RESTAURANT: (_D.NINE_SMALL, _D.FIRE),
    SiteCategory.SMALL_HOTEL: (_D.NINE_SMALL, _D.FIRE, _D.COMMERCE_TOURISM),
    SiteCategory.SMALL_ENTERTAINMENT: (_D.NINE_SMALL, _D.FIRE, _D.COMMERCE_TOURISM),
    SiteCategory.SMALL_INTERNET_CAFE: (_D.NINE_SMALL, _D.FIRE),
    SiteCategory.SMALL_BEAUTY_BATH: (_D.NINE_SMALL, _D.FIRE),
    SiteCategory.SMALL_WORKSHOP: (_D.NINE_SMALL, _D.FIRE, _D.INDUSTRY_TRADE),
    SiteCategory.SMALL_CLINIC: (_D.NINE_SMALL, _D.FIRE),
    SiteCategory.SMALL_SCHOOL: (_D.NINE_SMALL, _D.FIRE),
    # Restaurants burn piped or bottled gas: 城镇燃气 is 城市运行's business.
    SiteCategory.RESTAURANT: (_D.FIRE, _D.COMMERCE_TOURISM, _D.URBAN_OPERATION),
    SiteCategory.INDUSTRY_TRADE: (_D.INDUSTRY_TRADE, _D.FIRE),
    SiteCategory.CONSTRUCTION_SITE: (_D.CONSTRUCTION,),
    SiteCategory.HAZCHEM_UNIT: (_D.HAZCHEM, _D.FIRE),
    SiteCategory.CROWDED_PLACE: (_D.FIRE, _D.COMMERCE_TOURISM),
    SiteCategory.RENTAL_HOUSING: (_D.FIRE,),
    SiteCategory.EBIKE_CHARGING: (_D.FIRE,),
    SiteCategory.ELEVATOR_USER: (_D.SPECIAL_EQUIPMENT,),
    SiteCategory.WAREHOUSE: (_D.FIRE, _D.ROAD_TRAFFIC),
    SiteCategory.HIGH_RISE: (_D.FIRE,),
    SiteCategory.RESIDENTIAL_COMMUNITY: (_D.FIRE,),
    SiteCategory.SCHOOL: (_D.FIRE,),
    SiteCategory.CLINIC: (_D.FIRE,),
    SiteCategory.ELDERLY_CARE: (_D.FIRE,),
    SiteCategory.BOILER_USER: (_D.SPECIAL_EQUIPMENT,),
    SiteCategory.TRANSPORT_COMPANY: (_D.ROAD_TRAFFIC,),
    SiteCategory.GAS_USER: (_D.URBAN_OPERATION,),
    SiteCategory.OUTDOOR_ADVERTISING: (_D.URBAN_OPERATION,),
}

# 九小场所 are the categories whose code starts with "small_".
NINE_SMALL_CATEGORIES = frozenset(c for c in SiteCategory if c.value.startswith("small_"))


class RiskLevel(enum.StrEnum):
    """风险等级 on the four-colour map (红橙黄蓝 = 重大/较大/一般/低)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


RISK_LEVEL_LABELS: dict[RiskLevel, str] = {
    RiskLevel.RED: "红（重大风险）",
    RiskLevel.ORANGE: "橙（较大风险）",
    RiskLevel.YELLOW: "黄（一般风险）",
    RiskLevel.BLUE: "蓝（低风险）",
}


class RegionLevel(enum.StrEnum):
    """行政/管理层级 of a region-tree node: 区 → 街道/园区 → 社区 → 网格."""

    DISTRICT = "district"
    STREET = "street"
    PARK = "park"
    COMMUNITY = "community"
    GRID = "grid"


REGION_LEVEL_LABELS: dict[RegionLevel, str] = {
    RegionLevel.DISTRICT: "区",
    RegionLevel.STREET: "街道",
    RegionLevel.PARK: "园区",
    RegionLevel.COMMUNITY: "社区",
    RegionLevel.GRID: "网格",
}

# Which levels may sit directly under which.
REGION_CHILD_LEVELS: dict[RegionLevel | None, frozenset[RegionLevel]] = {
    None: frozenset({RegionLevel.DISTRICT}),
    RegionLevel.DISTRICT: frozenset({RegionLevel.STREET, RegionLevel.PARK}),
    RegionLevel.STREET: frozenset({RegionLevel.COMMUNITY}),
    RegionLevel.PARK: frozenset({RegionLevel.COMMUNITY, RegionLevel.GRID}),
    RegionLevel.COMMUNITY: frozenset({RegionLevel.GRID}),
    RegionLevel.GRID: frozenset(),
}


class Role(enum.StrEnum):
    """角色: what a role grant lets a user do, within the grant's scope."""

    GRID_WORKER = "grid_worker"
    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    ENTERPRISE_USER = "enterprise_user"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.GRID_WORKER: "网格员",
    Role.INSPECTOR: "执法/检查人员",
    Role.SUPERVISOR: "监管人员（街道/区安委办）",
    Role.ENTERPRISE_USER: "企业用户",
    Role.ADMIN: "系统管理员",
}
