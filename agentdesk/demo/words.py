"""Demo-data definitions: word lists and weights for a Zhengzhou-like city (area code 0371).

Data only; :mod:`agentdesk.demo.generate` turns it into rows. Weights are relative, not percentages.
Street names are real 郑州 街道/镇/乡 names; communities are made up but typical.
"""

from __future__ import annotations

CITY = "郑州"  # business names start with the city, or with their county-level city
COUNTY_CITIES = ("巩义市", "登封市")
AREA_CODE = "371"

# Account numbers (户号): 2-digit utility prefix + 2-digit district code + 6-digit serial.
ACCOUNT_PREFIX = {"water": "31", "power": "41"}
# Meter numbers: 2 letters + 2-digit install year + serial (water 6 digits, power 7).
METER_PREFIX = {"water": "ZS", "power": "DB"}

UTILITY_WEIGHTS = {"water": 52, "power": 48}

# name, 2-digit code (in the account number), area class, share of customers, streets.
# 街道 are urban sub-districts; 镇/乡 are towns (their communities are villages).
DISTRICTS: list[tuple[str, str, str, int, tuple[str, ...]]] = [
    ("金水区", "01", "urban", 22, (
        "经八路街道", "花园路街道", "人民路街道", "杜岭街道", "大石桥街道", "南阳路街道",
        "南阳新村街道", "文化路街道", "丰产路街道", "东风路街道", "北林路街道", "未来路街道",
        "凤凰台街道", "丰庆路街道", "国基路街道", "兴达路街道", "杨金路街道")),
    ("二七区", "02", "urban", 13, (
        "淮河路街道", "解放路街道", "铭功路街道", "一马路街道", "蜜蜂张街道", "五里堡街道",
        "大学路街道", "建中街街道", "福华街街道", "德化街街道", "嵩山路街道", "京广路街道",
        "长江路街道", "人和路街道")),
    ("中原区", "03", "urban", 14, (
        "林山寨街道", "建设路街道", "棉纺路街道", "秦岭路街道", "桐柏路街道", "三官庙街道",
        "绿东村街道", "汝河路街道", "航海西路街道", "中原西路街道", "须水街道")),
    ("管城回族区", "04", "urban", 11, (
        "北下街街道", "西大街街道", "南关街道", "城东路街道", "东大街街道", "二里岗街道",
        "陇海马路街道", "紫荆山南路街道", "航海东路街道", "金岱街道", "十八里河街道")),
    ("惠济区", "05", "urban", 7, (
        "新城街道", "刘寨街道", "老鸦陈街道", "长兴路街道", "迎宾路街道", "大河路街道")),
    ("郑东新区", "06", "urban", 13, (
        "如意湖街道", "博学路街道", "龙子湖街道", "商都路街道", "祭城路街道", "杨桥街道",
        "金光路街道")),
    ("巩义市", "07", "rural", 11, (
        "孝义街道", "紫荆路街道", "新华路街道", "杜甫路街道", "永安路街道", "米河镇", "回郭镇",
        "康店镇", "站街镇", "竹林镇", "北山口镇", "小关镇")),
    ("登封市", "08", "remote", 9, (
        "少林街道", "嵩阳街道", "中岳街道", "大冶镇", "告成镇", "卢店镇", "颍阳镇", "君召乡",
        "石道乡", "徐庄镇", "唐庄乡")),
]

# Communities per street (min, max) and building shape: buildings, units, floors, rooms a floor.
URBAN_SHAPE = {"per_street": (8, 16), "buildings": (4, 36), "units": (1, 4),
               "floors": ((6, 7), (11, 18), (24, 33)), "rooms": (2, 4)}
TOWN_SHAPE = {"per_street": (4, 8), "buildings": (3, 16), "units": (1, 3),
              "floors": ((2, 3), (4, 6)), "rooms": (2, 2)}

# Hand-written community names, then prefix x suffix combinations for the many more a
# city has. Old work-unit compounds (家属院) are common in 郑州's older districts.
COMMUNITIES = (
    "幸福小区", "阳光花园", "金色港湾", "翠竹园", "锦绣华庭", "凤凰城", "康桥华城", "绿都城",
    "名门世家", "美景鸿城", "天伦花园", "紫荆花园", "银河小区", "和谐家园", "书香门第",
    "兴业花园", "森林半岛", "正商城", "鑫苑名家", "永威城", "亚星盛世家园", "升龙国际",
    "美好人家", "百合公寓", "金水花园", "东方今典", "民航花园", "文化新村", "邮电新村",
    "铁路新村", "电力小区", "纺织小区", "国棉三厂家属院", "国棉六厂生活区", "煤机厂家属院",
    "市政家属院", "农科院家属院", "郑大南校区家属院", "粮食局家属院", "水利厅家属院",
    "建设新村", "桐柏新村", "绿云小区", "秦岭小区", "航海花园", "商城小区", "东明小区",
    "紫荆山小区", "未来花园", "丰庆佳苑", "北林小区", "嵩山小区", "碧沙岗小区", "中原新城",
    "帝湖花园", "清华园", "橄榄城", "奥兰花园", "世纪城", "康桥香溪郡", "普罗旺世",
    "英协花园", "蓝堡湾", "瀚海思念城", "高铁花园", "龙湖锦艺城", "绿地城", "象湖湾",
)
COMMUNITY_PREFIXES = (
    "金", "银", "翠", "锦", "华", "康", "和", "泰", "丰", "安", "宏", "鑫", "兴", "瑞", "嘉", "福",
    "盛", "祥", "馨", "怡", "雅", "博", "顺", "永", "东", "西", "南", "北", "中", "新", "绿",
    "春", "秋", "文", "明", "德", "仁", "宝", "龙", "凤",
)
COMMUNITY_MIDDLES = (
    "苑", "泰", "丰", "安", "城", "林", "河", "湖", "山", "都", "源", "景", "辉", "园", "华", "桂",
    "兰", "荷", "桥", "阳",
)
COMMUNITY_SUFFIXES = (
    "小区", "花园", "家园", "新村", "名苑", "公寓", "华府", "雅居", "佳苑", "嘉园", "丽都",
    "御府", "庭院", "里", "城",
)
# Villages and rebuilt village communities (新型农村社区) in towns.
VILLAGE_STEMS = (
    "张庄", "李庄", "王沟", "石河", "柏树沟", "杨树岭", "桃园", "南岭", "北坡", "河洛", "清河",
    "马寨", "刘寨", "孙家沟", "赵岭", "吴村", "郭洼", "宋楼", "韩家庄", "程窑", "槐树庄",
    "后寺", "前营", "东沟", "西坡", "小河", "大峪", "白沙", "黄庄", "柿树坪", "核桃园",
    "杏树岭", "枣园", "石门", "双楼", "罗汉寺", "水磨湾", "龙泉", "山前", "下河",
)
VILLAGE_SUFFIXES = ("村", "新村", "社区")

# Surnames with frequencies weighted for 河南 (per mille, roughly). The two-reading
# surnames 单 (Shàn), 曾 (Zēng), 解 (Xiè), 区 (Ōu), 仇 (Qiú) are bumped a little so a demo
# database always has some.
SURNAMES: dict[str, float] = {
    "王": 78, "李": 72, "张": 70, "刘": 55, "陈": 35, "杨": 32, "赵": 25, "黄": 12,
    "周": 17, "吴": 14, "徐": 12, "孙": 18, "马": 17, "朱": 13, "胡": 12, "郭": 22,
    "何": 8, "高": 17, "林": 5, "罗": 6, "郑": 11, "梁": 8, "谢": 6, "宋": 14, "唐": 6,
    "许": 10, "韩": 11, "冯": 9, "邓": 6, "曹": 9, "彭": 5, "曾": 3, "肖": 5, "田": 9,
    "董": 8, "袁": 6, "潘": 4, "于": 7, "蒋": 4, "蔡": 5, "余": 4, "杜": 7, "叶": 3,
    "程": 9, "苏": 5, "魏": 9, "吕": 6, "丁": 6, "任": 6, "沈": 3, "姚": 5, "卢": 5,
    "姜": 5, "崔": 7, "钟": 3, "谭": 2, "陆": 2, "汪": 2, "范": 6, "金": 3, "石": 6,
    "廖": 2, "贾": 7, "夏": 4, "韦": 1, "付": 5, "方": 3, "白": 5, "邹": 2, "孟": 7,
    "熊": 2, "秦": 4, "邱": 3, "江": 2, "尹": 3, "薛": 4, "闫": 6, "段": 4, "雷": 3,
    "侯": 5, "龙": 1, "史": 4, "陶": 2, "黎": 1, "贺": 3, "顾": 2, "毛": 3, "郝": 4,
    "龚": 1, "邵": 3, "万": 2, "钱": 1, "严": 2, "覃": 1, "武": 5, "戴": 2, "莫": 1,
    "孔": 3, "向": 1, "汤": 2, "常": 5, "牛": 5, "娄": 2, "申": 3, "楚": 1, "司": 2,
    "单": 2, "解": 1.5, "区": 0.8, "仇": 1, "欧阳": 0.5, "司马": 0.2, "诸葛": 0.1,
}
TWO_READING_SURNAMES = ("单", "曾", "解", "区", "仇")

# Given names: a first and a second character by sex (two-character names about 80% of
# the time; one-character names use the second list), e.g. 建国, 秀英, 浩宇, 雨萱, 伟.
GIVEN_MALE = ("建国志文海永德小晓俊浩宇子家明新振立学长保红春金玉天鹏伟嘉一博思",
              "伟强磊军勇杰涛明超刚辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳亮成峰东平生民利胜良轩航泽然睿晨")
GIVEN_FEMALE = ("秀玉桂丽春红晓小海美雅欣雨思梦佳子一诗若文淑素彩金",
                "芳娜敏静丽艳娟霞燕玲婷雪琳慧颖倩晶洁莉萍红梅兰英凤丹璐欣怡涵萱月琪妍珍琴云香华")
TWO_CHAR_GIVEN = 0.8

# Customer classes by utility, then by area class (towns have more agriculture).
CUSTOMER_CLASSES: dict[str, dict[str, dict[str, int]]] = {
    "water": {
        "urban": {"居民": 880, "非居民": 100, "特种行业": 20},
        "rural": {"居民": 900, "非居民": 90, "特种行业": 10},
        "remote": {"居民": 930, "非居民": 65, "特种行业": 5},
    },
    "power": {
        "urban": {"居民": 860, "一般工商业": 125, "大工业": 10, "农业": 5},
        "rural": {"居民": 820, "一般工商业": 90, "大工业": 20, "农业": 70},
        "remote": {"居民": 830, "一般工商业": 60, "大工业": 5, "农业": 105},
    },
}
RESIDENTIAL = "居民"
# Business customers are named after the business: brand + trade by class.
BUSINESS_BRANDS = (
    "鑫源", "华泰", "宏达", "永盛", "金鼎", "德丰", "中联", "恒基", "豫龙", "嵩岳", "黄河",
    "中原", "天成", "瑞丰", "广源", "信达", "万家", "老王", "老李", "好运来", "顺发", "兴隆",
)
BUSINESS_TRADES: dict[str, tuple[str, ...]] = {
    "非居民": ("餐饮有限公司", "烩面馆", "超市", "物业服务有限公司", "幼儿园", "宾馆",
             "商贸有限公司", "诊所", "理发店"),
    "特种行业": ("洗浴中心", "洗车行", "纯净水厂", "游泳馆", "足疗店"),
    "一般工商业": ("商贸有限公司", "超市", "酒店", "餐饮有限公司", "物业服务有限公司",
               "网吧", "五金建材店", "冷库"),
    "大工业": ("机械制造有限公司", "铝业有限公司", "耐材有限公司", "纺织有限公司",
             "建材有限公司", "电缆有限公司"),
    "农业": ("种植专业合作社", "养殖场", "灌溉机井", "果蔬合作社", "苗木基地"),
}

# Meter types by utility (mechanical / smart / prepaid IC-card).
METER_TYPES = {
    "water": {"mechanical": 55, "smart": 35, "prepaid": 10},
    "power": {"mechanical": 3, "smart": 85, "prepaid": 12},
}

# Credit lists: 黑名单 after >= 5 unpaid periods (DOMAIN.md), grey for 3-4, red for good payers.
CREDIT_LISTS = {"": 930, "red": 30, "grey": 25, "black": 15}
ARREARS_PERIODS = {0: 860, 1: 100, 2: 40}  # for customers on no list or the red list
BLACK_PERIODS = (5, 12)
GREY_PERIODS = (3, 4)
# One period's bill in fen (min, max): residential, business, large industry.
BILL_FEN = {
    "water": {"res": (2_500, 9_000), "biz": (20_000, 300_000), "big": (300_000, 2_000_000)},
    "power": {"res": (6_000, 40_000), "biz": (50_000, 800_000), "big": (2_000_000, 20_000_000)},
}
BIG_CLASSES = ("大工业",)

# Vulnerability tags (one plan per household); a few households have two.
VULNERABLE_SHARE = 0.04
VULNERABILITY_TAGS = {
    "独居老人": 40, "吸氧": 20, "残障": 20, "孤寡": 12, "独居老人;吸氧": 5, "残障;孤寡": 3,
}
KEY_SHARE_BUSINESS = 0.25  # business customers with a key-customer level 1-3
KEY_SHARE_RESIDENTIAL = 0.002
KEY_LEVELS = {1: 60, 2: 30, 3: 10}
CLOSED_SHARE = 0.008  # status "closed" (销户)
# Households with both a water and a power account at one address (same name and phone).
SECOND_ACCOUNT_SHARE = 0.015

# Phones: mobiles by prefix (weighted), 1-3 per customer; some also have a 0371 landline.
MOBILE_PREFIXES = {
    "130": 3, "131": 3, "132": 3, "133": 3, "135": 5, "136": 5, "137": 5, "138": 6, "139": 6,
    "150": 4, "151": 4, "152": 3, "153": 3, "155": 3, "156": 3, "157": 2, "158": 4, "159": 4,
    "166": 1, "173": 1, "176": 2, "177": 2, "180": 3, "181": 2, "182": 3, "183": 3, "185": 3,
    "186": 4, "187": 3, "188": 3, "189": 3, "191": 1, "193": 1, "195": 1, "198": 2, "199": 2,
}
MOBILES_PER_CUSTOMER = {1: 70, 2: 27, 3: 3}
LANDLINE_SHARE = 0.2
LANDLINE_FIRST_DIGITS = {"6": 60, "5": 25, "8": 15}  # 0371 numbers: 8 digits

# Roads, for locations of street faults (burst mains, manholes, hydrants).
ROADS = (
    "花园路", "农业路", "金水路", "经三路", "文化路", "东风路", "中州大道", "建设路", "嵩山路",
    "大学路", "航海路", "紫荆山路", "陇海路", "京广路", "桐柏路", "未来路", "商都路",
    "农业东路", "国基路", "丰庆路", "伏牛路", "秦岭路", "南阳路", "黄河路", "纬五路",
    "经七路", "二七路", "人民路", "城东路", "工人路", "西三环", "北三环", "郑汴路", "东明路",
)
DIRECTIONS = ("东", "西", "南", "北")

# Ticket mix by category code (codes from agentdesk/taxonomy.toml). 停水, bills, leaks and
# faults dominate (DOMAIN.md: over 80% of one hotline's requests).
CATEGORY_WEIGHTS: dict[str, int] = {
    "water.burst": 8, "water.riser_leak": 7, "water.meter": 6, "water.no_water": 16,
    "water.quality": 4, "water.pressure": 5, "water.secondary": 3, "water.manhole": 2,
    "water.hydrant": 1, "water.billing": 14, "water.connection": 2, "water.transfer": 2,
    "water.close": 1, "water.reconnect": 3, "water.household_leak": 3,
    "power.fault": 20, "power.outage": 12, "power.quality": 4, "power.billing": 14,
    "power.metering": 4, "power.connection": 2, "power.reconnect": 4, "power.appliance": 2,
    "power.theft": 1,
    "any.complaint": 4, "any.consult": 5, "any.suggestion": 1, "any.praise": 1,
}
# Categories reported from the street, often by passers-by: the location is a road.
ROAD_CATEGORIES = ("water.burst", "water.manhole", "water.hydrant")
NO_CUSTOMER_SHARE = 0.08  # tickets from callers who are not (or not found as) customers

# Caller complaints. Placeholders: {community} {building} {unit} {room} {road} {days} {yuan}.
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "water.burst": (
        "{road}路面冒水，水流很大已经淌到马路中间了，车过去溅得到处都是。",
        "{road}人行道地砖底下往外涌水，看着像是管子爆了，麻烦赶紧派人来。",
        "{community}门口的路面塌了个坑，坑里一直在冒水，晚上过路很危险。",
    ),
    "water.riser_leak": (
        "{community}{building}{unit}楼道里的水表箱一直滴水，地上全湿了。",
        "{building}{unit}管道井里哗哗响，立管好像漏了，楼下邻居家墙面都洇湿了。",
        "楼道表箱里的阀门漏水，关不严，已经漏了{days}天了。",
    ),
    "water.meter": (
        "家里水表不走字了，用着水表盘也不转。",
        "天冷水表冻裂了，表玻璃碎了在往外渗水，{community}{building}{unit}{room}。",
        "智能水表屏幕不亮，缴了费也显示不了余额。",
        "水表走得特别快，家里没人用水表也在转。",
    ),
    "water.no_water": (
        "{community}{building}从早上开始就没水了，也没看到停水通知。",
        "家里突然停水了，问了邻居也都没水，什么时候能来水？家里有老人。",
        "高层没水低层有水，{building}{unit}十楼以上一滴水都没有。",
        "停水{days}个小时了，做饭都没法做，到底什么时候恢复？",
    ),
    "water.quality": (
        "水龙头放出来的水发黄，放了好一会儿还是浑的。",
        "自来水有股漂白粉味，烧开了也有味道，能不能喝？",
        "水里有白色的小颗粒，烧水壶里水垢特别多。",
        "{community}这两天的水有异味，小区好多人家都这样。",
    ),
    "water.pressure": (
        "水压太小了，热水器都打不着火，{community}{building}{unit}{room}。",
        "晚上用水高峰水特别小，洗澡都洗不成。",
        "最近水压忽大忽小，管子里咣咣响。",
    ),
    "water.secondary": (
        "小区二次供水泵房的水泵坏了，{building}高层都没水。",
        "{community}的楼顶水箱好久没清洗了，水有沉淀，物业推说归你们管。",
        "加压泵一直响，晚上吵得睡不着，水还时有时无。",
    ),
    "water.manhole": (
        "{road}有个井盖没了，一个大黑窟窿，刚才差点有电动车掉进去。",
        "{community}门口的井盖碎了，踩上去直晃，孩子上学天天从这走。",
    ),
    "water.hydrant": (
        "{road}的消火栓被车撞倒了，水一直往外喷。",
        "{community}门口的消火栓漏水，地面结冰了，老人容易滑倒。",
    ),
    "water.billing": (
        "这个月水费怎么{yuan}块，平时才几十块，是不是抄错表了？",
        "想问一下阶梯水价怎么算的，家里五口人能不能多申请一档？",
        "抄表员好几个月没来了，账单都是估的，能不能按实际读数算？",
        "水费在手机上交过了，短信还在催缴，是不是没到账？",
    ),
    "water.connection": (
        "新开的门面房要装水表，需要带什么材料办理？",
        "老家院子想单独接一根自来水管，报装怎么收费？",
    ),
    "water.transfer": (
        "房子买过来了，水表户名还是原房主的，想办过户。",
        "父亲去世了，水费户名想改成我的，需要什么手续？",
    ),
    "water.close": (
        "房子卖了，想把水表销户，最后的水费怎么结？",
        "门面不租了，申请销户拆表。",
    ),
    "water.reconnect": (
        "欠的水费刚才已经交了，{yuan}块，麻烦尽快给恢复供水。",
        "出差回来发现停水了，说是欠费，钱已经补上了，什么时候能通水？",
    ),
    "water.household_leak": (
        "家里卫生间墙里好像在漏水，水表一直转，该找谁来修？",
        "厨房水管接头漏水了，你们能上门修吗？",
    ),
    "power.fault": (
        "{community}{building}突然停电了，整栋楼都黑了，也没有停电通知。",
        "家里跳闸了推不上去，一推就跳，{community}{building}{unit}{room}。",
        "小区门口的变压器冒烟了，还有噼里啪啦的声音，吓人。",
        "停电{days}个小时了还没来，冰箱里东西都化了，家里还有吸氧的老人。",
        "楼道里电表箱冒火花，有焦糊味。",
    ),
    "power.outage": (
        "{community}今天停电吗？怎么没看到通知，什么时候能来电？",
        "听说明天要计划停电，具体几点到几点？",
        "我们这片为什么又停电了，这个月都第三回了。",
    ),
    "power.quality": (
        "家里电压不稳，灯一闪一闪的，空调都开不起来。",
        "晚上电压太低，电磁炉用不了，{community}好多户都这样。",
        "电压忽高忽低，已经烧坏了一个电饭锅。",
    ),
    "power.billing": (
        "这个月电费{yuan}块，比上个月多了一倍多，家里没添什么电器。",
        "峰谷电价怎么申请？晚上用电多。",
        "电费交过了，为什么还提示欠费停电？",
        "阶梯电价第二档从多少度开始算？",
    ),
    "power.metering": (
        "电表走得太快了，家里没人也在走字，想申请校验。",
        "智能电表显示屏不亮了，不知道还剩多少电。",
        "预付费电表充了钱没到账，现在没电用。",
    ),
    "power.connection": (
        "新开门面要装三相电，报装需要多长时间？",
        "自建房要装电表，申请新装流程是什么？",
    ),
    "power.reconnect": (
        "欠费停电了，刚在网上交了{yuan}块，麻烦尽快复电。",
        "电费已经补缴了，家里还是没电，什么时候能恢复？",
    ),
    "power.appliance": (
        "昨天晚上停电再来电的时候，家里电视和冰箱都烧坏了，想申请赔偿。",
        "来电时电压冲得太高，空调主板烧了，你们管不管？",
    ),
    "power.theft": (
        "{community}有户人家私拉电线，从楼道表箱前面直接接电，不走电表。",
        "我们村有个养殖场好像在偷电，晚上一直开着大功率设备。",
    ),
    "any.complaint": (
        "上次报修说两个小时到，等了一下午也没人来，打电话也没人接。",
        "维修师傅态度很差，活没干完就走了。",
        "停水停电也不提前通知，家里老人小孩怎么办？要投诉。",
        "营业厅排队两个小时，窗口只开一个，太耽误事了。",
    ),
    "any.consult": (
        "营业厅几点上班？周末办不办业务？",
        "怎么在手机上查户号和缴费记录？",
        "家里老人不会用手机，能不能去营业厅现金缴费？",
    ),
    "any.suggestion": (
        "建议停水停电通知多发短信，楼道里贴的老人看不到。",
        "希望缴费能支持更多银行卡，现在有的卡绑不上。",
    ),
    "any.praise": (
        "昨天来抢修的师傅冒雨干了一晚上，特别负责，想表扬一下。",
        "热线的小姑娘很耐心，给我们老人讲得明明白白，谢谢你们。",
    ),
}

# Departments a ticket is dispatched to; in towns repairs go to the county-level company.
# One source of truth: the shipped pick list (agentdesk/tickets/departments.toml), read here.
def _departments() -> tuple[dict[str, tuple[str, ...]], dict[str, dict[str, str]]]:
    from agentdesk.tickets.departments import shipped

    by_category: dict[str, tuple[str, ...]] = {}
    towns: dict[str, dict[str, str]] = {}
    for dep in shipped():
        for code in dep.categories:
            by_category[code] = (*by_category.get(code, ()), dep.name)
        if dep.district:
            towns.setdefault(dep.district, {})[dep.utility] = dep.name
    return by_category, towns


DEPARTMENTS, TOWN_REPAIR_DEPARTMENTS = _departments()

# Agents: 工号, name, role, team, on shift.
AGENTS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("A1001", "王晓燕", "supervisor", "一班", True),
    ("A1002", "李静", "agent", "一班", True),
    ("A1003", "张伟", "agent", "一班", True),
    ("A1004", "刘洋", "agent", "一班", True),
    ("A1005", "陈丽", "agent", "一班", True),
    ("A1006", "杨帆", "agent", "一班", True),
    ("A1007", "赵敏", "agent", "一班", False),
    ("A1008", "黄婷婷", "agent", "一班", True),
    ("A1009", "郭雪", "agent", "一班", True),
    ("A1010", "单文静", "agent", "一班", True),
    ("A1011", "孙丽娜", "supervisor", "二班", False),
    ("A1012", "马超", "agent", "二班", False),
    ("A1013", "周杰", "agent", "二班", False),
    ("A1014", "吴倩", "agent", "二班", False),
    ("A1015", "何佳", "agent", "二班", False),
    ("A1016", "宋雨萱", "agent", "二班", False),
    ("A1017", "韩梅", "agent", "二班", False),
    ("A1018", "曾玉兰", "agent", "二班", False),
    ("A1019", "郑凯", "agent", "二班", True),
    ("A1020", "高明", "trainer", "质检培训组", True),
)

# Where callers reach us, for contacts.
CHANNELS = {"phone": 75, "12345": 10, "app": 8, "wechat": 7}
SATISFACTION = {"满意": 84, "基本满意": 11, "不满意": 5}
HANDOVER_SHARE = 0.1  # tickets whose owner is no longer the first responder

# Outage notices and incidents, relative to now (hours). scope: street or community.
# At least the first three are active at now; incidents link the calls about them.
NOTICES: tuple[dict, ...] = (
    {"utility": "water", "kind": "fault", "cause": "供水主管道爆管抢修", "scope": "street",
     "area": "urban", "start": -2.5, "hours": 9.0,
     "title": "{district}{street}部分区域临时停水通知",
     "incident": {"title": "{street}{road}DN300供水主管爆管", "category": "water.burst",
                  "calls": ("water.no_water", "water.no_water", "water.burst",
                            "water.pressure")}},
    {"utility": "power", "kind": "planned", "cause": "10kV线路计划检修", "scope": "community",
     "area": "urban", "start": -1.5, "hours": 8.0,
     "title": "{community}计划停电通知"},
    {"utility": "power", "kind": "fault", "cause": "台区变压器故障抢修", "scope": "community",
     "area": "rural", "start": -1.0, "hours": 5.0,
     "title": "{street}{community}故障停电通知",
     "incident": {"title": "{community}台区变压器故障", "category": "power.fault",
                  "calls": ("power.fault", "power.fault", "power.outage")}},
    {"utility": "water", "kind": "planned", "cause": "管网改造施工", "scope": "street",
     "area": "urban", "start": 22.0, "hours": 10.0,
     "title": "{district}{street}管网改造计划停水通知"},
    {"utility": "power", "kind": "planned", "cause": "配电设备更换", "scope": "community",
     "area": "urban", "start": -76.0, "hours": 6.0,
     "title": "{community}计划停电通知"},
)
# A closed incident from a few days ago (calls now archived).
PAST_INCIDENT = {"title": "{community}二次供水水箱清洗后水质浑浊", "utility": "water",
                 "category": "water.quality", "start": -100.0, "hours": 26.0,
                 "calls": ("water.quality", "water.quality", "water.secondary")}

# Calls by local hour of day (a hotline's daily curve: morning and afternoon peaks).
CALL_HOURS = {
    0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2, 7: 4, 8: 9, 9: 10, 10: 10, 11: 9, 12: 6, 13: 6,
    14: 8, 15: 9, 16: 9, 17: 8, 18: 7, 19: 7, 20: 6, 21: 5, 22: 3, 23: 2,
}
# Tickets created today, today + the 2 days before (cumulative); the rest spread over 30 days.
TODAY_SHARE = 0.15
RECENT_SHARE = 0.4
STUCK_SHARE = 0.06  # tickets that wait much longer at one step (overdue work for the queue)
