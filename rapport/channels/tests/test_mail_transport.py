"""The IMAP and SMTP transports against real servers (dovecot, aiosmtpd), without the database."""

import pytest
from imapclient.exceptions import LoginError

from rapport.channels.email import imap
from rapport.channels.email.smtp import smtp_check, smtp_send
from rapport.channels.email.transport import MailTransportError, ServerSettings
from rapport.channels.tests.mailservers import dovecot_or_skip, start_dovecot, start_smtp_sink


def _mail(n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@customer.test>\r\nTo: service@rapport.test\r\n"
        f"Subject: Mail {n}\r\nMessage-ID: <m{n}@customer.test>\r\n"
        f"Date: Sat, 01 Mar 2025 10:0{n}:00 +0800\r\n\r\nBody {n}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def dovecot():
    server = start_dovecot(dovecot_or_skip())
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot):
    user = dovecot.user()
    return ServerSettings(
        host=dovecot.host,
        port=dovecot.port,
        security="none",
        user=user,
        password=dovecot.users[user],
        timeout=10,
    )


def test_session_reads_new_mail_as_stored_and_leaves_it_unread(dovecot, mailbox):
    for n in (1, 2, 3):
        dovecot.append(mailbox.user, _mail(n))

    with imap.imap_session(mailbox) as session:
        uids = session.uids_after(0)
        raws = session.fetch_raw(uids)

    assert len(uids) == 3
    assert [raws[uid] for uid in uids] == [_mail(1), _mail(2), _mail(3)]
    client = dovecot.imap(mailbox.user)
    client.select_folder("INBOX", readonly=True)
    assert all(b"\\Seen" not in flags for flags in client.get_flags(uids).values())
    client.logout()


def test_uids_after_the_last_one_is_empty_although_imap_matches_the_last_message(dovecot, mailbox):
    dovecot.append(mailbox.user, _mail(1))
    dovecot.append(mailbox.user, _mail(2))

    with imap.imap_session(mailbox) as session:
        last = max(session.uids_after(0))
        assert session.uids_after(last) == []  # the server answers "UID n+1:*" with message n
        assert session.uids_after(last - 1) == [last]


def test_session_reports_uidvalidity_and_identifies_itself_with_id(dovecot, mailbox):
    with imap.imap_session(mailbox) as session:
        assert session.status.uidvalidity > 0
        assert session.status.exists == 0

    log = (dovecot.root / "dovecot.log").read_text(errors="replace")
    assert "ID sent: name=Rapport" in log


def test_check_opens_the_folder_and_counts_its_mail(dovecot, mailbox):
    dovecot.append(mailbox.user, _mail(1))

    message = imap.imap_check(mailbox)

    assert mailbox.user in message
    assert "INBOX" in message and "1" in message


def test_wrong_password_is_a_clear_login_error():
    server = start_dovecot(dovecot_or_skip())  # its own: dovecot slows logins after a failure
    try:
        user = server.user()
        settings = ServerSettings(
            host=server.host, port=server.port, security="none", user=user, password="wrong"
        )
        with pytest.raises(MailTransportError) as caught:
            imap.imap_check(settings)
    finally:
        server.stop()

    assert caught.value.code == "login_failed"
    assert user in caught.value.message
    assert "授权码" in caught.value.message
    assert "AUTHENTICATIONFAILED" in caught.value.message  # the server's own words
    assert "b'" not in caught.value.message


def test_ssl_on_a_plain_port_is_a_clear_tls_error(dovecot, mailbox):
    settings = ServerSettings(**{**_fields(mailbox), "security": "ssl"})

    with pytest.raises(MailTransportError) as caught:
        imap.imap_check(settings)

    assert caught.value.code == "tls"
    assert f"127.0.0.1:{dovecot.port}" in caught.value.message


def test_starttls_when_the_server_offers_none_is_a_clear_tls_error(dovecot, mailbox):
    settings = ServerSettings(**{**_fields(mailbox), "security": "starttls"})

    with pytest.raises(MailTransportError) as caught:
        imap.imap_check(settings)

    assert caught.value.code == "tls"
    assert "STARTTLS" in caught.value.message


def test_closed_port_is_a_clear_refused_error(mailbox):
    from rapport.channels.tests.mailservers import free_port

    settings = ServerSettings(**{**_fields(mailbox), "port": free_port()})

    with pytest.raises(MailTransportError) as caught:
        imap.imap_check(settings)

    assert caught.value.code == "refused"
    assert "993" in caught.value.message  # says which ports are usual


def test_missing_folder_is_named_in_the_error(mailbox):
    settings = ServerSettings(**{**_fields(mailbox), "folder": "客服"})

    with pytest.raises(MailTransportError) as caught:
        imap.imap_check(settings)

    assert caught.value.code == "folder_missing"
    assert "客服" in caught.value.message


def _fields(settings: ServerSettings) -> dict:
    return {
        "host": settings.host,
        "port": settings.port,
        "security": settings.security,
        "user": settings.user,
        "password": settings.password,
        "timeout": settings.timeout,
        "folder": settings.folder,
    }


class _NetEase:
    """What imap.163.com does without the ID command: LOGIN works, SELECT says Unsafe Login."""

    def __init__(self, *, advertises_id: bool):
        self.advertises_id = advertises_id
        self.commands = []
        self._imap = self

    def has_capability(self, name):
        return name == "ID" and self.advertises_id

    def id_(self, parameters):
        self.commands.append(("ID", parameters))

    def _simple_command(self, name, args):
        self.commands.append((name, args))
        return "OK", [b"ID completed"]

    def select_folder(self, folder, readonly=False):
        if not self.commands:
            raise imap.IMAPClientError(b"SELECT Unsafe Login. Please contact kefu@188.com for help")
        return {b"UIDVALIDITY": 7, b"UIDNEXT": 3, b"EXISTS": 2}


def test_unsafe_login_explains_the_id_command_and_the_authorisation_code():
    settings = ServerSettings(
        host="imap.example.test", port=993, security="ssl", user="u", password="p"
    )

    with pytest.raises(MailTransportError) as caught:
        imap._select(_NetEase(advertises_id=False), settings)

    assert caught.value.code == "unsafe_login"
    assert "ID" in caught.value.message and "授权码" in caught.value.message


def test_id_goes_to_netease_even_when_not_advertised():
    client = _NetEase(advertises_id=False)
    settings = ServerSettings(host="imap.163.com", port=993, security="ssl", user="u", password="p")

    imap._send_id(client, settings)

    assert client.commands == [("ID", '("name" "Rapport" "version" "1.0" "vendor" "Rapport")')]
    assert imap._select(client, settings).uidvalidity == 7


def test_id_goes_to_any_server_that_advertises_it_and_not_to_others():
    advertised, silent = _NetEase(advertises_id=True), _NetEase(advertises_id=False)
    other = ServerSettings(
        host="imap.example.test", port=993, security="ssl", user="u", password="p"
    )

    imap._send_id(advertised, other)
    imap._send_id(silent, other)

    assert advertised.commands == [("ID", imap.CLIENT_ID)]
    assert silent.commands == []


def test_unsafe_login_at_login_is_recognised_too():
    settings = ServerSettings(host="imap.126.com", port=993, security="ssl", user="u", password="p")

    error = imap._login_error(settings, LoginError("b'Unsafe Login. Please contact kefu@188.com'"))

    assert error.code == "unsafe_login"


# --- SMTP ------------------------------------------------------------------------------------


@pytest.fixture
def smtp_sink():
    sink, controller = start_smtp_sink()
    yield sink
    controller.stop()


def _smtp(sink, **overrides) -> ServerSettings:
    fields = {"host": sink.host, "port": sink.port, "security": "none", "user": "", "password": ""}
    return ServerSettings(**{**fields, **overrides})


RAW = (
    b"From: service@rapport.test\r\nTo: c1@customer.test\r\n"
    b"Message-ID: <rp.t7.m9.abc@rapport.test>\r\nSubject: =?utf-8?b?5oKo5aW9?=\r\n\r\nHello\r\n"
)


def test_smtp_send_delivers_the_bytes_as_built_and_returns_our_message_id(smtp_sink):
    provider_id = smtp_send(_smtp(smtp_sink), RAW, "service@rapport.test", ["c1@customer.test"])

    assert provider_id == "rp.t7.m9.abc@rapport.test"
    [envelope] = smtp_sink.messages
    assert envelope.mail_from == "service@rapport.test"
    assert envelope.rcpt_tos == ["c1@customer.test"]
    assert envelope.original_content.replace(b"\r\n", b"\n") == RAW.replace(b"\r\n", b"\n")


def test_smtp_refused_recipient_is_a_permanent_failure(smtp_sink):
    smtp_sink.refuse_rcpt = "550 5.1.1 No such user"

    with pytest.raises(MailTransportError) as caught:
        smtp_send(_smtp(smtp_sink), RAW, "service@rapport.test", ["nobody@customer.test"])

    assert caught.value.code == "recipient_refused"
    assert caught.value.permanent
    assert "5.1.1" in caught.value.message
    assert smtp_sink.messages == []


def test_smtp_temporary_refusal_is_not_permanent(smtp_sink):
    smtp_sink.refuse_rcpt = "451 4.3.0 Try again later"

    with pytest.raises(MailTransportError) as caught:
        smtp_send(_smtp(smtp_sink), RAW, "service@rapport.test", ["c1@customer.test"])

    assert not caught.value.permanent


def test_smtp_login_with_the_right_password_works_and_a_wrong_one_is_clear():
    sink, controller = start_smtp_sink(users={"service@rapport.test": "AuthCode123"})
    try:
        good = _smtp(sink, user="service@rapport.test", password="AuthCode123")
        bad = _smtp(sink, user="service@rapport.test", password="login-password")

        assert "service@rapport.test" in smtp_check(good)
        with pytest.raises(MailTransportError) as caught:
            smtp_check(bad)
    finally:
        controller.stop()

    assert caught.value.code == "login_failed"
    assert "授权码" in caught.value.message


def test_smtp_ssl_on_a_plain_port_is_a_clear_tls_error(smtp_sink):
    with pytest.raises(MailTransportError) as caught:
        smtp_check(_smtp(smtp_sink, security="ssl"))

    assert caught.value.code == "tls"


def test_smtp_closed_port_is_a_clear_refused_error():
    from rapport.channels.tests.mailservers import free_port

    settings = ServerSettings(
        host="127.0.0.1", port=free_port(), security="none", user="", password=""
    )

    with pytest.raises(MailTransportError) as caught:
        smtp_send(settings, RAW, "service@rapport.test", ["c1@customer.test"])

    assert caught.value.code == "refused"
    assert "465" in caught.value.message


def test_a_built_reply_reaches_the_smtp_server_threaded_with_chinese_names_intact(smtp_sink):
    from email import message_from_bytes, policy

    from rapport.channels.email import (
        build_email,
        make_message_id,
        own_token,
        parse_email,
        subject_ticket_number,
    )

    ours = make_message_id(ticket_id=123, outbox_id=45, own_domain="rapport.example")
    raw = build_email(
        from_addr=("瑞泰客服中心", "service@rapport.example"),
        to=[("李雷", "li.lei@customer.test")],
        subject="回复：[T000123] 发动机冷启动异响",
        text="李先生您好，检测报告见附件。",
        message_id=ours,
        in_reply_to="q2@customer.test",
        references=["q1@customer.test", "q2@customer.test"],
        attachments=[("检测报告（第1版）.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")],
    )

    provider_id = smtp_send(
        _smtp(smtp_sink), raw, "service@rapport.example", ["li.lei@customer.test"]
    )

    assert provider_id == ours
    [envelope] = smtp_sink.messages
    arrived = parse_email(envelope.original_content, own_domain="customer.test")
    assert arrived.message_id == ours
    assert arrived.in_reply_to == ["q2@customer.test"]
    assert arrived.references == ["q1@customer.test", "q2@customer.test"]
    assert arrived.subject == "回复：[T000123] 发动机冷启动异响"
    assert subject_ticket_number(arrived.subject) == "T000123"
    assert own_token([arrived.message_id], own_domain="rapport.example") == (123, 45)
    [attachment] = arrived.attachments
    assert (attachment.filename, attachment.content) == (
        "检测报告（第1版）.pdf",
        b"%PDF-1.4\n%%EOF\n",
    )
    # What a standard client shows: the same names through Python's own parser.
    shown = message_from_bytes(envelope.original_content, policy=policy.default)
    # build_email folds the long encoded subject onto its own line ("Subject:\r\n =?utf-8?…");
    # Python keeps that folding space where mail clients trim it.
    assert shown["Subject"].lstrip() == "回复：[T000123] 发动机冷启动异响"
    assert [p.get_filename() for p in shown.iter_attachments()] == ["检测报告（第1版）.pdf"]
