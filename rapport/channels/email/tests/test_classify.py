import pytest

from rapport.channels.email.classify import BounceReport
from rapport.channels.email.parse import parse_email
from rapport.channels.email.tests import corpus

OWN = corpus.OWN_DOMAIN
ORIGINAL = f"rp.t123.m45.0a1b2c3d@{OWN}"


def parse(raw: bytes):
    return parse_email(raw, own_domain=OWN)


def test_a_permanent_dsn_names_the_failed_address_and_the_original():
    parsed = parse(corpus.dsn(action="failed", status="5.1.1", original_id=ORIGINAL))

    assert parsed.auto == "bounce"
    assert parsed.bounce == BounceReport(
        recipient="gone@qq.com",
        action="failed",
        status="5.1.1",
        diagnostic="smtp; 550 Mailbox not found.",
        original_message_id=ORIGINAL,
        permanent=True,
    )


def test_a_transient_dsn_is_a_bounce_but_not_permanent():
    parsed = parse(corpus.dsn(action="delayed", status="4.4.1", original_id=ORIGINAL))

    assert parsed.auto == "bounce"
    assert parsed.bounce.status == "4.4.1"
    assert parsed.bounce.permanent is False


def test_failed_with_a_4xx_status_is_not_permanent():
    parsed = parse(corpus.dsn(action="failed", status="4.2.2", original_id=ORIGINAL))

    assert parsed.bounce.permanent is False


def test_x_failed_recipients_without_a_report_is_a_bounce():
    parsed = parse(corpus.text_mail("undeliverable", X_Failed_Recipients="Lost@Example.cn"))

    assert parsed.auto == "bounce"
    assert parsed.bounce.recipient == "lost@example.cn"
    assert parsed.bounce.permanent is False


def test_exchange_out_of_office():
    parsed = parse(corpus.exchange_out_of_office())

    assert parsed.auto == "out_of_office"
    assert parsed.bounce is None


def test_rfc3834_auto_reply():
    assert parse(corpus.rfc3834_auto_reply()).auto == "auto_reply"


def test_mailing_list():
    assert parse(corpus.mailing_list()).auto == "list"


def test_our_own_bulk_mail_coming_back_is_a_loop():
    assert parse(corpus.own_loop()).auto == "loop"


def test_our_own_message_id_scheme_coming_back_is_a_loop():
    raw = corpus.text_mail("x", Message_ID=f"<rp.t5.m9.abcdef@{OWN}>")

    assert parse(raw).auto == "loop"


def test_a_colleague_on_our_domain_writing_normally_is_a_person():
    # Staff mail shares the company domain; only bulk/automatic mail from it is a loop.
    raw = corpus.text_mail("请处理这个客户", Message_ID=f"<CAB123@{OWN}>", From=f"li@{OWN}")

    assert parse(raw).auto == ""


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"Auto_Submitted": "no"}, ""),
        ({"Auto_Submitted": "auto-generated"}, "auto_reply"),
        ({"Auto_Submitted": "auto-replied; vacation"}, "out_of_office"),
        ({"X_Autoreply": "yes"}, "auto_reply"),
        ({"Precedence": "bulk"}, "auto_reply"),
        ({"Precedence": "junk"}, "auto_reply"),
        ({"X_Loop": "yes"}, "auto_reply"),
        ({"List_Unsubscribe": "<mailto:x@y>"}, "list"),
        ({"Return_Path": "<>"}, "auto_reply"),
        (
            {"Subject": "=?utf-8?B?6Ieq5Yqo5Zue5aSN77ya5oiR5LiN5Zyo?="},
            "out_of_office",
        ),  # 自动回复：我不在
        ({"Subject": "Automatic reply: noise"}, "out_of_office"),
        ({"From": "MAILER-DAEMON@mx.example.cn"}, "auto_reply"),
        (
            {"Subject": "=?utf-8?B?6Ieq5Yqo5Zue5aSN5Yqf6IO95Z2P5LqG?="},
            "",
        ),  # 自动回复功能坏了 (a person)
    ],
)
def test_automatic_mail_rules(headers, kind):
    assert parse(corpus.text_mail("x", **headers)).auto == kind


def test_a_read_receipt_is_automatic_not_a_bounce():
    raw = corpus.eml(
        [
            *corpus.base_headers(),
            (
                "Content-Type",
                'multipart/report; report-type=disposition-notification; boundary="m"',
            ),
        ],
        corpus.multipart("m", [corpus.part([("Content-Type", "text/plain")], b"read")]),
    )

    parsed = parse(raw)

    assert parsed.auto == "auto_reply"
    assert parsed.bounce is None


def test_a_plain_text_bounce_with_an_enhanced_code_is_permanent():
    parsed = parse(corpus.netease_text_bounce())

    assert parsed.auto == "bounce"
    assert parsed.bounce == BounceReport(
        recipient="nobody@163.com",
        action="failed",
        status="5.1.1",
        diagnostic="退信原因：550 5.1.1 user unknown",
        original_message_id=f"rp.t123.m46.ffee@{OWN}",
        permanent=True,
    )


def test_a_plain_text_bounce_without_an_enhanced_code_is_not_permanent():
    parsed = parse(corpus.netease_text_bounce(status_line="mailbox full, try later"))

    assert parsed.auto == "bounce"
    assert parsed.bounce.recipient == "nobody@163.com"
    assert parsed.bounce.status == ""
    assert parsed.bounce.permanent is False
