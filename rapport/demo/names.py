"""Material for believable demo and benchmark data."""

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏辉建华建国晶晶小红海燕志强子涵欣怡浩然梓轩雨桐俊杰思远佳怡宇航诗涵一鸣晓东国庆春梅冬梅文博嘉懿"
GIVEN_CHARS = list(GIVEN)
ENGLISH = [
    "Anna Li",
    "David Chen",
    "Michael Brown",
    "Sophie Wang",
    "James Miller",
    "Emma Zhang",
    "Lucas Müller",
    "Olivia Smith",
    "Thomas Lee",
    "Grace Liu",
]
COMPANIES = [
    "华联超市有限公司",
    "鼎盛物流集团",
    "长城食品贸易公司",
    "星河连锁便利店",
    "蓝天酒店管理有限公司",
    "金穗农业科技",
    "东方航空服务公司",
    "宏远建设工程集团",
    "瑞丰餐饮管理公司",
    "新世纪百货",
    "Pacific Trading Ltd.",
    "汇通汽车租赁",
    "明德教育集团",
    "安康医药连锁",
    "远景新能源科技",
]
CONTACT_TITLES = ["采购经理", "总经理", "行政主管", "财务总监", "门店经理", "运营总监"]
CITIES = [
    ("北京", "京A"),
    ("上海", "沪A"),
    ("广州", "粤A"),
    ("深圳", "粤B"),
    ("杭州", "浙A"),
    ("南京", "苏A"),
    ("成都", "川A"),
    ("武汉", "鄂A"),
    ("西安", "陕A"),
    ("重庆", "渝A"),
    ("天津", "津A"),
    ("苏州", "苏E"),
]
STREETS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "长江路",
    "南京路",
    "花园路",
    "文化路",
    "新华路",
]
CAR_MODELS = [
    "大众 帕萨特",
    "丰田 凯美瑞",
    "本田 雅阁",
    "比亚迪 汉EV",
    "别克 君越",
    "日产 轩逸",
    "奥迪 A4L",
    "宝马 3系",
    "吉利 星瑞",
    "长安 CS75",
    "特斯拉 Model 3",
    "理想 L7",
]
DEVICES = ["家用空调 KFR-35GW", "滚筒洗衣机 XQG100", "净水器 RO-600G", "燃气热水器 JSQ30"]
POLICIES = ["交强险", "商业车险", "家庭财产险", "意外险"]
TAGS = [
    "老客户",
    "新能源车主",
    "价格敏感",
    "对服务要求高",
    "转介绍来源",
    "企业车队",
    "夜间联系",
    "偏好微信",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "158",
    "159",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
]
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PINYIN_EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "outlook.com", "gmail.com"]


def person_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.45:
        return surname + rng.choice(GIVEN_CHARS)
    return surname + rng.choice(GIVEN_CHARS) + rng.choice(GIVEN_CHARS)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def plate(rng: random.Random, prefix: str) -> str:
    if rng.random() < 0.2:  # new-energy plates have six characters after the prefix
        return prefix + rng.choice("DF") + "".join(rng.choice("0123456789") for _ in range(5))
    return prefix + "".join(rng.choice(PLATE_CHARS) for _ in range(5))


def vin(rng: random.Random) -> str:
    return "L" + "".join(rng.choice(VIN_CHARS) for _ in range(16))
