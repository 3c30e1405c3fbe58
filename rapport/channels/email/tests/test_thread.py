import pytest

from rapport.channels.email.thread import (
    make_message_id,
    message_id_hash,
    own_token,
    strip_subject_prefixes,
    subject_ticket_number,
)

OWN = "rapport.example"


def test_message_id_hash_ignores_brackets_space_and_domain_case():
    assert message_id_hash(" <Abc.1@QQ.COM> ") == message_id_hash("Abc.1@qq.com")
    assert message_id_hash("Abc.1@qq.com") != message_id_hash("abc.1@qq.com")  # local part is exact
    assert len(message_id_hash("x@y")) == 64


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("回复：[T000123] 发动机异响", "T000123"),
        ("［Ｔ０００１２３］发动机异响", "T000123"),
        ("【T000123】发动机异响", "T000123"),
        ("Re: [#T1234567] noise", "T1234567"),
        ("[t000123]", "T000123"),
        ("T000123 without brackets", None),
        ("[T123] too short", None),
        ("", None),
    ],
)
def test_subject_ticket_number(subject, number):
    assert subject_ticket_number(subject) == number


@pytest.mark.parametrize(
    "subject",
    [
        "回复：发动机异响",
        "回复: 发动机异响",
        "答复：发动机异响",
        "回覆：发动机异响",
        "转发：发动机异响",
        "轉寄：发动机异响",
        "RE: 发动机异响",
        "Re[2]: 发动机异响",
        "FW: 发动机异响",
        "Fwd: 发动机异响",
        "AW: 发动机异响",
        "WG: 发动机异响",
        "Re：回复：Fwd: 发动机异响",
        "ＲＥ：发动机异响",
    ],
)
def test_strip_subject_prefixes(subject):
    assert strip_subject_prefixes(subject) == "发动机异响"


def test_strip_subject_prefixes_keeps_words_that_only_start_like_prefixes():
    assert strip_subject_prefixes("Regarding: noise") == "Regarding: noise"
    assert strip_subject_prefixes("回复速度太慢") == "回复速度太慢"


def test_make_message_id_round_trips_through_own_token():
    message_id = make_message_id(ticket_id=123, outbox_id=45, own_domain="Rapport.Example")

    assert message_id.startswith("rp.t123.m45.")
    assert message_id.endswith("@rapport.example")
    assert own_token([f"<{message_id}>"], own_domain=OWN) == (123, 45)


def test_make_message_id_is_unique_without_a_secret():
    ids = {make_message_id(ticket_id=1, outbox_id=1, own_domain=OWN) for _ in range(50)}

    assert len(ids) == 50


def test_a_message_id_without_a_ticket():
    message_id = make_message_id(ticket_id=None, outbox_id=7, own_domain=OWN)

    assert own_token([message_id], own_domain=OWN) == (None, 7)


def test_own_token_takes_the_first_of_ours_and_ignores_other_domains():
    ids = [
        "a@qq.com",
        "rp.t1.m2.abc@evil.example",
        "rp.t9.m8.abc@rapport.example",
        "rp.t3.m4.x@rapport.example",
    ]

    assert own_token(ids, own_domain=OWN) == (9, 8)
    assert own_token(["a@qq.com"], own_domain=OWN) == (None, None)
    assert own_token([], own_domain=OWN) == (None, None)


def test_a_signed_message_id_is_stable_and_cannot_be_forged():
    signed = make_message_id(ticket_id=5, outbox_id=6, own_domain=OWN, secret="s3cret")
    forged = "rp.t5.m6.0000000000000000@rapport.example"

    assert signed == make_message_id(ticket_id=5, outbox_id=6, own_domain=OWN, secret="s3cret")
    assert own_token([signed], own_domain=OWN, secret="s3cret") == (5, 6)
    assert own_token([forged], own_domain=OWN, secret="s3cret") == (None, None)
