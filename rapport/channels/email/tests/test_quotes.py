import pytest

from rapport.channels.email.parse import parse_email
from rapport.channels.email.quotes import reply_text
from rapport.channels.email.tests import corpus


@pytest.mark.parametrize("client", sorted(corpus.REPLIES))
def test_each_chinese_client_keeps_only_the_new_words(client):
    text, expected = corpus.REPLIES[client]

    assert reply_text(text) == expected


@pytest.mark.parametrize("client", sorted(corpus.REPLIES))
def test_parse_email_cuts_the_reply_and_keeps_the_full_text(client):
    text, expected = corpus.REPLIES[client]

    parsed = parse_email(corpus.client_reply(text, charset="gb18030"), own_domain=corpus.OWN_DOMAIN)

    assert parsed.reply_text == expected
    assert parsed.text == text.strip("\n")


def test_a_wrapped_gmail_attribution_is_cut():
    text = (
        "好的。\n\n客服中心 <support@rapport.example> 于2025年3月1日周六\n10:12写道：\n\n> 问题\n"
    )

    assert reply_text(text) == "好的。"


def test_english_clients():
    text = "OK, Monday.\n\nOn Sat, Mar 1, 2025 at 10:12 AM Support <s@r.example> wrote:\n> When?\n"
    outlook = (
        "Fine.\n\n-----Original Message-----\nFrom: Support\nSent: Saturday\nTo: me\nSubject: x\n"
    )

    assert reply_text(text) == "OK, Monday."
    assert reply_text(outlook) == "Fine."


def test_signatures_are_cut():
    assert reply_text("明天到。\n-- \n张三\n销售部") == "明天到。"
    assert reply_text("明天到。\n\nSent from my iPhone") == "明天到。"
    assert reply_text("明天到。\n发自网易邮箱大师") == "明天到。"


def test_inline_answers_between_quotes_are_kept():
    text = "> 什么时候到店？\n周一。\n> 车牌号？\n粤B12345\n> 谢谢\n"

    assert reply_text(text) == "周一。\n> 车牌号？\n粤B12345"


def test_a_bare_forward_keeps_the_whole_text():
    text = "------------------ 原始邮件 ------------------\n发件人: a\n\n正文"

    assert reply_text(text) == text


def test_body_lines_that_look_like_headers_alone_are_kept():
    text = "主题：发动机异响\n日期：3月1日\n请尽快处理。"

    assert reply_text(text) == text


@pytest.mark.parametrize("client", sorted(corpus.HTML_REPLIES))
def test_html_only_replies_are_cut_the_same_way(client):
    markup, expected = corpus.HTML_REPLIES[client]

    parsed = parse_email(corpus.html_reply(markup), own_domain=corpus.OWN_DOMAIN)

    assert parsed.reply_text == expected
    assert "张先生您好" in parsed.text  # the history is still in the full text


def test_blockquotes_become_quoted_lines():
    from rapport.channels.email.decode import html_to_text

    text = html_to_text(
        "<div>a</div><blockquote><div>b</div><blockquote>c<br>d</blockquote></blockquote><p>e</p>"
    )

    assert text == "a\n> b\n> > c\n> > d\ne"


def test_alimail_and_coremail_blocks_are_cut():
    alimail = (
        "收到，谢谢。\n\n------------------------------------------------------------------\n"
        "发件人：客服中心 <support@rapport.example>\n发送时间：2025年3月1日(星期六) 10:12\n"
        "收件人：张三 <zs@example.cn>\n主　题：[T000123] 发动机异响\n\n张先生您好"
    )
    coremail = (
        '好的\n\n-----原始邮件-----\n发件人:"客服中心" <support@rapport.example>\n'
        "发送时间:2025-03-01 10:12:00 (星期六)\n收件人: zs@example.edu.cn\n主题: 发动机异响\n\n您好"
    )

    assert reply_text(alimail) == "收到，谢谢。"
    assert reply_text(coremail) == "好的"
