"""Ready-made care programs from the texts (DOMAIN.md §4), shipped as drafts with their segments
and message templates. An administrator chooses the team and activates the ones wanted."""

import datetime

from django.db import migrations

SEGMENTS = [
    # name, description, definition, everyone
    ("全部客户", "所有在册客户（已确认匹配全部客户）", {}, True),
    ("车主客户", "名下有车辆的客户", {"asset_kind": ["vehicle"]}, False),
    ("保险客户", "名下有保单的客户", {"asset_kind": ["policy"]}, False),
]

TEMPLATES = [
    (
        "care-appointment-reminder",
        "预约提醒",
        "预约提醒：{{ occasion }}",
        "Appointment reminder: {{ occasion }}",
        "{{ customer_name }}您好，提醒您：{{ occasion }}。如需改期请回复本消息或致电我们。{{ company }}",
        "Dear {{ customer_name }}, a reminder: {{ occasion }}. Reply to change it. {{ company }}",
    ),
    (
        "care-maintenance-due",
        "保养到期提醒",
        "您的爱车该保养了",
        "Your car is due for service",
        "{{ customer_name }}您好，{{ occasion }}。为了行车安全，请尽快预约保养。{{ company }}",
        "Dear {{ customer_name }}, {{ occasion }}. Please book your service. {{ company }}",
    ),
    (
        "care-insurance-renewal",
        "续保提醒",
        "续保提醒",
        "Insurance renewal",
        "{{ customer_name }}您好，您的{{ occasion }}，请及时续保，以免脱保。{{ company }}",
        "Dear {{ customer_name }}, {{ occasion }}. Please renew in time. {{ company }}",
    ),
    (
        "care-birthday",
        "生日祝福",
        "生日快乐",
        "Happy birthday",
        "{{ customer_name }}您好，今天是您的生日，{{ company }}全体员工祝您生日快乐，万事如意！",
        "Dear {{ customer_name }}, everyone at {{ company }} wishes you a happy birthday!",
    ),
    (
        "care-spring-festival",
        "春节问候",
        "新春快乐",
        "Happy Spring Festival",
        "{{ customer_name }}您好，值此新春佳节，{{ company }}恭祝您和家人新年快乐，阖家幸福！",
        "Dear {{ customer_name }}, {{ company }} wishes you and your family a happy new year!",
    ),
    (
        "care-mid-autumn",
        "中秋问候",
        "中秋快乐",
        "Happy Mid-Autumn Festival",
        "{{ customer_name }}您好，月圆人团圆，{{ company }}祝您中秋快乐，阖家安康！",
        "Dear {{ customer_name }}, {{ company }} wishes you a happy Mid-Autumn Festival!",
    ),
]

PROGRAMS = [
    # name, description, segment, trigger, offset, action, template, script
    (
        "预约提醒（提前两天）",
        "到店预约前两天提醒客户。",
        "全部客户",
        "appointment",
        -2,
        "message",
        "care-appointment-reminder",
        "",
    ),
    (
        "保养到期提醒",
        "距上次保养满间隔（默认180天）时提醒，未回复则三天后电话跟进。",
        "车主客户",
        "maintenance_due",
        0,
        "message_then_call",
        "care-maintenance-due",
        "{customer_name}您好，我是{company}的{agent_name}。{occasion}，想帮您预约保养时间，"
        "请问您这周哪天方便？",
    ),
    (
        "保险续保提醒",
        "保单到期前30天电话提醒续保。",
        "保险客户",
        "policy_expiry",
        -30,
        "call",
        "",
        "{customer_name}您好，我是{company}的{agent_name}。您的{occasion}，"
        "我们可以为您提前办理续保并比较方案，请问您现在方便吗？",
    ),
    (
        "服务后三天回访",
        "工单关闭三天后回访，了解问题是否彻底解决。",
        "全部客户",
        "ticket_closed",
        3,
        "call",
        "",
        "{customer_name}您好，我是{company}的{agent_name}。{occasion}，想了解一下问题是否已经"
        "彻底解决，您对处理结果满意吗？",
    ),
    (
        "生日问候",
        "客户生日当天发送祝福；记录农历生日的客户按农历。",
        "全部客户",
        "birthday",
        0,
        "message",
        "care-birthday",
        "",
    ),
    ("春节问候", "春节前两天发送新春祝福。", "全部客户", "spring_festival", -2, "message", "care-spring-festival", ""),
    ("中秋问候", "中秋前一天发送节日祝福。", "全部客户", "mid_autumn", -1, "message", "care-mid-autumn", ""),
    (
        "流失风险客户回访",
        "客户变为流失风险时由客服致电了解原因。",
        "全部客户",
        "became_at_risk",
        0,
        "call",
        "",
        "{customer_name}您好，我是{company}的{agent_name}。最近我们的服务有没有让您不满意的"
        "地方？我们很想听听您的意见。",
    ),
]


def seed(apps, schema_editor):
    Segment = apps.get_model("care", "Segment")
    Program = apps.get_model("care", "Program")
    MessageTemplate = apps.get_model("channels", "MessageTemplate")
    segments = {}
    for name, description, definition, everyone in SEGMENTS:
        segments[name], _ = Segment.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "definition": definition,
                "everyone_confirmed": everyone,
            },
        )
    for code, name, subject_zh, subject_en, body_zh, body_en in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "purpose": "service",
                "subject_zh": subject_zh,
                "subject_en": subject_en,
                "body_zh": body_zh,
                "body_en": body_en,
                "variables": "customer_name\noccasion\ndue_on\nprogram\ncompany",
            },
        )
    today = datetime.date.today()
    for name, description, segment, trigger, offset, action, template, script in PROGRAMS:
        Program.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "segment": segments[segment],
                "trigger": trigger,
                "offset_days": offset,
                "action": action,
                "template_code": template,
                "script_text": script,
                "status": "draft",
                "holdout_percent": 10,
                "starts_on": today,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("care", "Program").objects.filter(
        name__in=[p[0] for p in PROGRAMS], status="draft"
    ).delete()
    apps.get_model("channels", "MessageTemplate").objects.filter(
        code__in=[t[0] for t in TEMPLATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0002_trigger_date_indexes"),
        ("channels", "0002_message_templates"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
