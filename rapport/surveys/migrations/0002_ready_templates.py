"""The ready questionnaires: post-ticket CSAT, relationship NPS, the 22-item SERVQUAL adapted to
a car dealer's service centre, and a KANO questionnaire on service features."""

from django.db import migrations

CSAT_LABELS = [
    {"value": "1", "zh": "非常不满意", "en": "Very dissatisfied"},
    {"value": "2", "zh": "不满意", "en": "Dissatisfied"},
    {"value": "3", "zh": "一般", "en": "Neither"},
    {"value": "4", "zh": "满意", "en": "Satisfied"},
    {"value": "5", "zh": "非常满意", "en": "Very satisfied"},
]
NPS_LABELS = [
    {"value": "0", "zh": "完全不可能", "en": "Not at all likely"},
    {"value": "10", "zh": "非常可能", "en": "Extremely likely"},
]
SERVQUAL_LABELS = [
    {"value": "1", "zh": "非常不同意", "en": "Strongly disagree"},
    {"value": "7", "zh": "非常同意", "en": "Strongly agree"},
]
TOUCHPOINTS = [
    {"value": "people", "zh": "人:接待和维修人员", "en": "People: advisers and technicians"},
    {"value": "things", "zh": "物:环境、设施和车辆", "en": "Things: premises, facilities, the car"},
    {
        "value": "information",
        "zh": "信息:通知、报价和单据",
        "en": "Information: messages, quotes and paperwork",
    },
]
REASONS = [
    {"value": "people", "zh": "服务人员", "en": "The staff"},
    {"value": "quality", "zh": "维修质量", "en": "Quality of the work"},
    {"value": "time", "zh": "等待和交车时间", "en": "Waiting and hand-over times"},
    {"value": "price", "zh": "价格透明", "en": "Clear pricing"},
    {"value": "facilities", "zh": "环境和设施", "en": "Premises and facilities"},
    {"value": "other", "zh": "其他", "en": "Something else"},
]

# (dimension, code, Chinese, English) — the standard 22 items, in their usual order.
SERVQUAL_ITEMS = [
    (
        "tangibles",
        "t1",
        "维修车间的设备和工具先进、齐全",
        "The workshop has modern, up-to-date equipment and tools",
    ),
    (
        "tangibles",
        "t2",
        "接待大厅和客户休息区整洁、舒适",
        "The reception and customer lounge are clean and comfortable",
    ),
    (
        "tangibles",
        "t3",
        "服务顾问和技师着装整洁、专业",
        "Service advisers and technicians look neat and professional",
    ),
    (
        "tangibles",
        "t4",
        "报价单、工单和结算单清楚易懂",
        "Quotes, work orders and invoices are clear and easy to read",
    ),
    (
        "reliability",
        "r1",
        "承诺在某个时间完成的工作,都能按时完成",
        "When they promise to finish work by a certain time, they do",
    ),
    (
        "reliability",
        "r2",
        "车辆出现问题时,真心诚意地帮您解决",
        "When your car has a problem, they show a sincere interest in solving it",
    ),
    (
        "reliability",
        "r3",
        "第一次就把车修好,不需要返修",
        "They fix the car right the first time, with no comeback",
    ),
    ("reliability", "r4", "在承诺的时间交车", "They hand the car back at the time promised"),
    ("reliability", "r5", "维修记录和结算准确无误", "Service records and invoices are accurate"),
    (
        "responsiveness",
        "s1",
        "明确告诉您每项工作什么时候完成",
        "They tell you exactly when each job will be done",
    ),
    (
        "responsiveness",
        "s2",
        "及时为您提供服务,不让您久等",
        "They serve you promptly, without long waits",
    ),
    ("responsiveness", "s3", "工作人员总是乐意帮助您", "Staff are always willing to help you"),
    (
        "responsiveness",
        "s4",
        "工作人员再忙也会及时回应您的需求",
        "Staff are never too busy to respond to your requests",
    ),
    (
        "assurance",
        "a1",
        "工作人员的言行让您对车辆交给他们放心",
        "Staff behave in a way that gives you confidence in leaving your car",
    ),
    (
        "assurance",
        "a2",
        "与本店打交道让您感到安心",
        "You feel safe in your dealings with the service centre",
    ),
    (
        "assurance",
        "a3",
        "工作人员始终对您礼貌、有耐心",
        "Staff are consistently courteous and patient with you",
    ),
    (
        "assurance",
        "a4",
        "工作人员有足够的专业知识回答您的问题",
        "Staff have the knowledge to answer your questions",
    ),
    ("empathy", "e1", "给予您个别的关注", "They give you individual attention"),
    ("empathy", "e2", "营业时间方便所有客户", "Opening hours suit all their customers"),
    ("empathy", "e3", "有专人负责跟进您的车辆", "One person looks after your car personally"),
    (
        "empathy",
        "e4",
        "把您的利益放在心上,不做不必要的维修",
        "They have your best interests at heart and do no unnecessary work",
    ),
    (
        "empathy",
        "e5",
        "了解您和您车辆的具体需要",
        "They understand your and your car's specific needs",
    ),
]

# (code, Chinese feature, English feature)
KANO_FEATURES = [
    ("online_booking", "网上或微信预约保养", "booking a service online or on WeChat"),
    ("pickup_delivery", "上门取送车", "picking up and delivering your car"),
    ("courtesy_car", "维修期间提供代步车", "a courtesy car while yours is in the workshop"),
    (
        "progress_photos",
        "通过微信推送维修进度照片",
        "photos of the work in progress sent on WeChat",
    ),
    ("free_wash", "保养后免费洗车", "a free car wash after each service"),
    (
        "quote_first",
        "施工前明码报价、确认后再修",
        "a fixed quote you approve before any work starts",
    ),
    ("paper_forms", "到店填写纸质登记表", "filling in paper forms at the front desk"),
]
KANO_ANSWERS = [
    {"value": "1", "zh": "我喜欢", "en": "I like it"},
    {"value": "2", "zh": "理应如此", "en": "I expect it"},
    {"value": "3", "zh": "无所谓", "en": "I am neutral"},
    {"value": "4", "zh": "能忍受", "en": "I can live with it"},
    {"value": "5", "zh": "我不喜欢", "en": "I dislike it"},
]


def _templates():
    comment = (
        "text",
        "comment",
        "还有什么想告诉我们的吗?",
        "Is there anything else you would like to tell us?",
        "",
        "",
        "",
        [],
        False,
    )
    yield (
        "post_ticket_csat",
        "csat",
        "服务满意度回访",
        "How did we do?",
        "感谢您联系我们。请花一分钟告诉我们这次服务的感受,您的意见会直接交给负责人。",
        "Thank you for contacting us. Please take a minute to tell us how this went; your answers "
        "go straight to the person responsible.",
        [
            (
                "csat",
                "csat",
                "您对这次服务的整体满意程度如何?",
                "How satisfied are you with this service overall?",
                "",
                "",
                "",
                CSAT_LABELS,
                True,
            ),
            (
                "solved",
                "solved",
                "您的问题解决了吗?",
                "Was your problem solved?",
                "",
                "",
                "",
                [],
                True,
            ),
            (
                "touchpoint",
                "touchpoint",
                "您的感受主要来自哪些方面?(可多选)",
                "What shaped your impression most? (choose any)",
                "",
                "",
                "",
                TOUCHPOINTS,
                False,
            ),
            comment,
        ],
    )
    yield (
        "relationship_nps",
        "nps",
        "客户推荐度调查",
        "Would you recommend us?",
        "感谢您一直以来的支持。两个小问题,帮助我们做得更好。",
        "Thank you for staying with us. Two short questions help us do better.",
        [
            (
                "nps",
                "nps",
                "您有多大可能向亲友推荐本店?",
                "How likely are you to recommend us to a friend or relative?",
                "",
                "",
                "",
                NPS_LABELS,
                True,
            ),
            (
                "single",
                "reason",
                "影响您打分的最主要原因是什么?",
                "What is the main reason for your score?",
                "",
                "",
                "",
                REASONS,
                False,
            ),
            (
                "multiple",
                "improve",
                "您希望我们在哪些方面改进?(可多选)",
                "Where should we improve? (choose any)",
                "",
                "",
                "",
                REASONS,
                False,
            ),
            comment,
        ],
    )
    yield (
        "servqual_22",
        "servqual",
        "服务质量评价(SERVQUAL)",
        "Service quality (SERVQUAL)",
        "每一项请打两个分:左边是您对一家优秀的汽车服务中心的期望,右边是您在本店的实际感受。"
        "1 表示非常不同意,7 表示非常同意。",
        "Give each statement two marks: first what you expect of an excellent car service centre, "
        "then what you experienced with us. 1 means strongly disagree, 7 strongly agree.",
        [
            ("servqual", code, zh, en, "", "", dim, SERVQUAL_LABELS, True)
            for dim, code, zh, en in SERVQUAL_ITEMS
        ]
        + [comment],
    )
    yield (
        "kano_features",
        "kano",
        "服务项目需求调查(KANO)",
        "Which services matter to you? (KANO)",
        "每个服务项目有两个问题:如果提供,您觉得怎样;如果不提供,您又觉得怎样。请凭第一感觉回答。",
        "Each service has two questions: how you would feel if we offered it, and how you would "
        "feel if we did not. Answer with your first feeling.",
        [
            (
                "kano",
                code,
                f"如果本店提供“{zh}”,您觉得如何?",
                f"If we offered {en}, how would you feel?",
                f"如果本店不提供“{zh}”,您觉得如何?",
                f"If we did not offer {en}, how would you feel?",
                "",
                KANO_ANSWERS,
                True,
            )
            for code, zh, en in KANO_FEATURES
        ],
    )


def seed(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    Question = apps.get_model("surveys", "Question")
    for code, kind, name_zh, name_en, intro_zh, intro_en, questions in _templates():
        template, _created = SurveyTemplate.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name_zh": name_zh,
                "name_en": name_en,
                "intro_zh": intro_zh,
                "intro_en": intro_en,
            },
        )
        for position, (q_kind, q_code, zh, en, alt_zh, alt_en, dim, options, required) in enumerate(
            questions, start=1
        ):
            Question.objects.update_or_create(
                template=template,
                code=q_code,
                defaults={
                    "position": position,
                    "kind": q_kind,
                    "text_zh": zh,
                    "text_en": en,
                    "alt_text_zh": alt_zh,
                    "alt_text_en": alt_en,
                    "dimension": dim,
                    "options": options,
                    "required": required,
                },
            )


def unseed(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    codes = [t[0] for t in _templates()]
    SurveyTemplate.objects.filter(code__in=codes, sends__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_surveys")]

    operations = [migrations.RunPython(seed, unseed)]
