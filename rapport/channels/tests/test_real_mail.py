"""Mail in over a real IMAP server (Debian's dovecot): polling, re-sync, claims, errors.

Dovecot is started by the fixture on a free 127.0.0.1 port; the test is skipped only when it is
not installed and CI is not set (.ci/run installs it and sets CI).
"""

import re

import pytest
from django.utils import timezone

from rapport.channels import mailbox
from rapport.channels.mailbox import email_connection_check, mailbox_poll
from rapport.channels.models import ChannelAccount, InboundMessage, MailboxFolderState, Message
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.channels.tests.mailservers import PASSWORD, dovecot_or_skip, start_dovecot

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    """mailbox_poll as a worker runs it: the processing queued on commit runs too."""

    def run(account_id, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return mailbox_poll(account_id=account_id, **options)

    return run


@pytest.fixture(scope="module")
def dovecot():
    server = start_dovecot(dovecot_or_skip())
    yield server
    server.stop()


def imap_account(server, *, folder="INBOX", password=PASSWORD, name=None) -> ChannelAccount:
    user = server.user()
    account = ChannelAccountFactory(
        provider=ChannelAccount.Provider.STANDARD,
        is_default=False,
        address=user,
        config={
            "imap_host": server.host,
            "imap_port": server.port,
            "imap_tls": "none",
            "imap_user": user,
            "folder": folder,
            "timeout": 10,
        },
        **({"name": name} if name else {}),
    )
    account.set_secrets({"imap_password": password})
    account.save(update_fields=["secrets"])
    return account


def inbound_messages(account):
    return Message.objects.filter(account=account, direction=Message.Direction.INBOUND)


def plain_mail(n: int, *, sender: str = "li.lei@customer.test") -> bytes:
    return (
        f"From: 李雷 <{sender}>\r\nTo: service@rapport.example\r\n"
        f"Subject: =?utf-8?b?{_b64(f'咨询 {n}')}?=\r\nMessage-ID: <q{n}.{sender}>\r\n"
        "Date: Sat, 01 Mar 2025 10:12:00 +0800\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"您好，这是第 {n} 封邮件。\r\n"
    ).encode()


def gb2312_mail() -> bytes:
    """Declared gb2312, written by a GBK client: 镕 exists only in GBK/GB18030."""
    subject = "=?gb2312?B?" + _b64("朱镕基的来信", "gb18030") + "?="
    head = (
        "From: =?gb2312?B?" + _b64("王芳", "gb18030") + "?= <wang.fang@customer.test>\r\n"
        "To: service@rapport.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <gb1@customer.test>\r\n"
        "Date: Sat, 01 Mar 2025 11:00:00 +0800\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + "朱镕基同志您好 – 车辆异响。\r\n".encode("gb18030")


def _b64(text: str, charset: str = "utf-8") -> str:
    import base64

    return base64.b64encode(text.encode(charset)).decode()


def test_poll_records_each_new_mail_once_and_processes_it(poll, dovecot):
    account = imap_account(dovecot)
    dovecot.append(account.address, plain_mail(1))
    dovecot.append(account.address, gb2312_mail())

    result = poll(account.pk)

    assert (result.status, result.stored, result.duplicates) == ("ok", 2, 0)
    inbound = InboundMessage.objects.filter(account=account).order_by("id")
    assert [i.read_raw() for i in inbound] == [plain_mail(1), gb2312_mail()]
    assert {i.state for i in inbound} == {InboundMessage.State.PROCESSED}
    subjects = set(inbound_messages(account).values_list("subject", flat=True))
    assert subjects == {"咨询 1", "朱镕基的来信"}
    gb = inbound_messages(account).get(subject="朱镕基的来信")
    assert "朱镕基同志您好 – 车辆异响" in gb.text
    state = MailboxFolderState.objects.get(account=account, folder="INBOX")
    assert state.last_uid == 2 and state.uidvalidity and state.claimed_until is None
    account.refresh_from_db()
    assert account.last_error == "" and account.last_checked_at is not None


def test_polling_again_fetches_nothing_new_and_records_no_duplicate(poll, dovecot):
    account = imap_account(dovecot)
    dovecot.append(account.address, plain_mail(1))
    poll(account.pk)

    again = poll(account.pk)
    dovecot.append(account.address, plain_mail(2))
    third = poll(account.pk)

    assert (again.stored, again.duplicates) == (0, 0)
    assert (third.stored, third.duplicates) == (1, 0)
    assert InboundMessage.objects.filter(account=account).count() == 2
    assert inbound_messages(account).count() == 2


def test_new_uidvalidity_reads_the_folder_again_without_duplicates(poll, dovecot):
    account = imap_account(dovecot, folder="Support")
    dovecot.append(account.address, plain_mail(1), folder="Support")
    dovecot.append(account.address, plain_mail(2), folder="Support")
    poll(account.pk)
    before = MailboxFolderState.objects.get(account=account).uidvalidity
    # The folder is recreated (a server migration does the same): new UIDVALIDITY, UIDs from 1.
    client = dovecot.imap(account.address)
    client.delete_folder("Support")
    client.create_folder("Support")
    client.logout()
    for raw in (plain_mail(1), plain_mail(2), plain_mail(3)):
        dovecot.append(account.address, raw, folder="Support")

    result = poll(account.pk)

    assert result.resynced
    assert (result.stored, result.duplicates) == (1, 2)
    assert InboundMessage.objects.filter(account=account).count() == 3
    assert inbound_messages(account).count() == 3
    state = MailboxFolderState.objects.get(account=account)
    assert state.uidvalidity != before and state.last_uid == 3


def test_a_mailbox_claimed_by_another_worker_is_left_alone(poll, dovecot):
    account = imap_account(dovecot)
    dovecot.append(account.address, plain_mail(1))
    held = timezone.now() + mailbox.CLAIM
    MailboxFolderState.objects.create(account=account, folder="INBOX", claimed_until=held)

    result = poll(account.pk)

    assert result.status == "busy"
    assert not InboundMessage.objects.filter(account=account).exists()
    assert MailboxFolderState.objects.get(account=account).claimed_until == held
    assert account.pk not in mailbox.mailbox_poll_due()


def test_an_expired_claim_is_taken_over(poll, dovecot):
    account = imap_account(dovecot)
    dovecot.append(account.address, plain_mail(1))
    MailboxFolderState.objects.create(
        account=account, folder="INBOX", claimed_until=timezone.now() - mailbox.CLAIM
    )

    result = poll(account.pk)

    assert (result.status, result.stored) == ("ok", 1)
    assert MailboxFolderState.objects.get(account=account).claimed_until is None


def test_a_poll_takes_at_most_max_messages_and_the_next_one_continues(poll, dovecot):
    account = imap_account(dovecot)
    for n in range(1, 6):
        dovecot.append(account.address, plain_mail(n))

    first = poll(account.pk, max_messages=2, batch_size=1)
    second = poll(account.pk, max_messages=2, batch_size=1)
    third = poll(account.pk, max_messages=2, batch_size=1)

    assert [(r.stored, r.more) for r in (first, second, third)] == [
        (2, True),
        (2, True),
        (1, False),
    ]
    assert InboundMessage.objects.filter(account=account).count() == 5


def test_the_last_uid_moves_only_past_mail_that_was_stored(poll, dovecot, monkeypatch):
    account = imap_account(dovecot)
    for n in (1, 2, 3):
        dovecot.append(account.address, plain_mail(n))
    real_receive = mailbox.inbound_receive
    calls = []

    def failing_second(**kwargs):
        calls.append(kwargs["provider_id"])
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_receive(**kwargs)

    monkeypatch.setattr(mailbox, "inbound_receive", failing_second)
    broken = poll(account.pk)
    monkeypatch.setattr(mailbox, "inbound_receive", real_receive)
    mended = poll(account.pk)

    assert broken.status == "error" and "database went away" in broken.error
    assert (mended.status, mended.stored, mended.duplicates) == ("ok", 2, 0)
    assert InboundMessage.objects.filter(account=account).count() == 3
    assert MailboxFolderState.objects.get(account=account).last_uid == 3
    account.refresh_from_db()
    assert account.last_error == ""  # the successful poll cleared it


def test_a_mail_too_large_to_take_in_is_reported_and_the_rest_still_arrive(
    poll, dovecot, monkeypatch
):
    from rapport.channels.services import inbound

    account = imap_account(dovecot)
    big = plain_mail(1) + b"x" * 5000 + b"\r\n"
    dovecot.append(account.address, big)
    dovecot.append(account.address, plain_mail(2))
    monkeypatch.setattr(inbound, "MAX_RAW_BYTES", 2000)

    result = poll(account.pk)

    assert (result.stored, result.skipped) == (1, [1])
    assert InboundMessage.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert re.search(r"UID\D{0,3}1\D", account.last_error) and "INBOX" in account.last_error
    assert MailboxFolderState.objects.get(account=account).last_uid == 2


def test_wrong_password_is_recorded_and_the_other_mailboxes_still_arrive():
    from rapport.channels.periodic import queue_mailbox_polls

    server = start_dovecot(dovecot_or_skip())  # its own: dovecot slows logins after a failure
    try:
        wrong = imap_account(server, password="login-password-not-the-code")
        right = imap_account(server)
        server.append(wrong.address, plain_mail(1))
        server.append(right.address, plain_mail(2))

        queued = queue_mailbox_polls()  # the immediate task backend polls while queueing
    finally:
        server.stop()

    assert queued == 2
    wrong.refresh_from_db()
    right.refresh_from_db()
    assert wrong.last_error.startswith("IMAP: ")
    assert "授权码" in wrong.last_error and wrong.address in wrong.last_error
    assert not InboundMessage.objects.filter(account=wrong).exists()
    assert InboundMessage.objects.filter(account=right).count() == 1
    assert right.last_error == ""


def test_inactive_fake_and_unconfigured_accounts_are_not_polled(dovecot):
    polled = imap_account(dovecot)
    off = imap_account(dovecot)
    off.is_active = False
    off.save(update_fields=["is_active"])
    fake = imap_account(dovecot)
    fake.provider = ChannelAccount.Provider.FAKE
    fake.save(update_fields=["provider"])
    bare = ChannelAccountFactory(
        provider=ChannelAccount.Provider.STANDARD, is_default=False, config={}
    )

    due = mailbox.mailbox_poll_due()

    assert polled.pk in due
    assert not {off.pk, fake.pk, bare.pk} & set(due)


def test_connection_check_passes_on_a_working_mailbox_and_explains_a_missing_folder(dovecot):
    from rapport.channels import providers

    account = imap_account(dovecot)
    missing = imap_account(dovecot, folder="已归档")

    assert email_connection_check(account) is None
    assert providers.check_connection(account) is None
    error = providers.check_connection(missing)
    assert error.startswith("IMAP: ") and "已归档" in error
