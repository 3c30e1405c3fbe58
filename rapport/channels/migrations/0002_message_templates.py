from django.db import migrations

# code, name, purpose, subject_zh, subject_en, body_zh, body_en, variables
TEMPLATES = [
    (
        "ticket_reply",
        "工单回复",
        "service",
        "{{ subject }} [{{ ticket_number }}]",
        "{{ subject }} [{{ ticket_number }}]",
        "{{ customer_name }}，您好：\n\n{{ body }}\n\n"
        "您可以直接回复本邮件，或在这里查看处理进度并确认是否已解决：{{ tracking_url }}\n\n"
        "{{ company }}",
        "Dear {{ customer_name }},\n\n{{ body }}\n\n"
        "Reply to this e-mail, or follow the progress and confirm it is resolved here: "
        "{{ tracking_url }}\n\n{{ company }}",
        "customer_name: 客户称呼\nsubject: 工单标题\nticket_number: 工单号，如 T000123\n"
        "body: 回复正文\ntracking_url: 进度查询链接\ncompany: 公司名称",
    ),
    (
        "tracking_link",
        "进度查询链接",
        "service",
        "您的服务单 {{ ticket_number }} 的进度查询链接",
        "Follow your request {{ ticket_number }}",
        "{{ customer_name }}，您好：\n\n您的服务单 {{ ticket_number }} 正在处理中。"
        "您可以随时通过下面的链接查看进度、补充信息或确认已解决：\n{{ tracking_url }}\n\n{{ company }}",
        "Dear {{ customer_name }},\n\nWe are working on your request {{ ticket_number }}. "
        "Follow its progress, add information or confirm it is resolved here:\n{{ tracking_url }}"
        "\n\n{{ company }}",
        "customer_name: 客户称呼\nticket_number: 工单号\ntracking_url: 进度查询链接\n"
        "company: 公司名称",
    ),
    (
        "survey_invitation",
        "满意度调查邀请",
        "service",
        "{{ company }}：{{ survey_name }}",
        "{{ company }}: {{ survey_name }}",
        "{{ customer_name }}，您好：\n\n感谢您选择{{ company }}。"
        "请花一两分钟告诉我们您的感受：\n{{ survey_url }}\n\n链接有效期至 {{ valid_until }}。\n\n"
        "{{ company }}",
        "Dear {{ customer_name }},\n\nThank you for choosing {{ company }}. "
        "Please take a minute or two to tell us how we did:\n{{ survey_url }}\n\n"
        "The link is valid until {{ valid_until }}.\n\n{{ company }}",
        "customer_name: 客户称呼\nsurvey_name: 问卷名称\nsurvey_url: 问卷链接\n"
        "valid_until: 链接有效期\ncompany: 公司名称",
    ),
    (
        "acknowledgement",
        "来信自动确认",
        "service",
        "我们已收到您的来信：{{ subject }}",
        "We received your message: {{ subject }}",
        "您好：\n\n我们已收到您的来信《{{ subject }}》，客服人员会在工作时间内尽快回复您。"
        "如需补充信息，直接回复本邮件即可。\n\n{{ company }}\n（此邮件为自动回复。）",
        "Hello,\n\nWe received your message “{{ subject }}”; a representative will answer "
        "within business hours. To add information, simply reply to this e-mail.\n\n"
        "{{ company }}\n(This is an automatic reply.)",
        "subject: 来信主题\ncompany: 公司名称",
    ),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("channels", "MessageTemplate")
    MessagingSettings = apps.get_model("channels", "MessagingSettings")
    for code, name, purpose, subject_zh, subject_en, body_zh, body_en, variables in TEMPLATES:
        MessageTemplate.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "purpose": purpose,
                "subject_zh": subject_zh,
                "subject_en": subject_en,
                "body_zh": body_zh,
                "body_en": body_en,
                "variables": variables,
            },
        )
    MessagingSettings.objects.get_or_create(pk=1)


def unseed(apps, schema_editor):
    MessageTemplate = apps.get_model("channels", "MessageTemplate")
    MessageTemplate.objects.filter(code__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("channels", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
