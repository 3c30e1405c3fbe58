"""Channels (渠道): the accounts customers write to, every message in and out, and the outbox.

One inbound pipeline and one outbox serve every channel kind; a channel is a sub-package
(`channels/email/`) that parses and builds its own format. See docs/design/messaging.md.
"""

import re
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.template import Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.channels.crypto import decrypt_secrets, encrypt_secrets
from rapport.core.memo import ProcessMemo
from rapport.core.models import TimeStampedModel


class Channel(models.TextChoices):
    """The kinds of channel a message travels on (the values match Interaction.Channel)."""

    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    WECOM = "wecom", _("WeCom customer service")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")


class ChannelAccount(TimeStampedModel):
    """A mailbox (or later a WeChat/WeCom/SMS account) customers write to and we send from."""

    Kind = Channel

    class OpenAs(models.TextChoices):
        CONVERSATION = "conversation", _("A conversation in the team inbox")
        TICKET = "ticket", _("A ticket")

    class Provider(models.TextChoices):
        STANDARD = "standard", _("The channel's own (SMTP/IMAP for e-mail)")
        FAKE = "fake", _("Recorded only (demo and tests)")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.EMAIL)
    name = models.CharField(_("name"), max_length=80, unique=True)
    address = models.CharField(
        _("address"),
        max_length=254,
        help_text=_("What customers write to, e.g. service@example.cn."),
    )
    default_team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("default team"),
        on_delete=models.PROTECT,
        related_name="channel_accounts",
    )
    open_as = models.CharField(
        _("a new message opens"),
        max_length=16,
        choices=OpenAs.choices,
        default=OpenAs.CONVERSATION,
    )
    ticket_kind = models.CharField(
        _("ticket kind"), max_length=16, blank=True, help_text=_("When new messages open tickets.")
    )
    ticket_type_code = models.CharField(
        _("ticket type code"),
        max_length=40,
        blank=True,
        help_text=_("When new messages open tickets."),
    )
    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.STANDARD
    )
    is_default = models.BooleanField(
        _("default for sending"),
        default=False,
        help_text=_("Messages on this channel that belong to no conversation are sent from it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    config = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_("Hosts, ports, TLS, user names and folder. Never passwords."),
    )
    secrets = models.TextField(_("encrypted secrets"), blank=True, editable=False)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_default=True),
                name="channel_account_one_default_per_kind",
                violation_error_message=_("Another account is already the default for sending."),
            ),
            models.CheckConstraint(
                condition=~Q(open_as="ticket") | ~Q(ticket_kind=""),
                name="channel_account_ticket_routing_has_kind",
                violation_error_message=_("Choose the kind of ticket new messages open."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def clean(self) -> None:
        if self.open_as == self.OpenAs.TICKET and not self.ticket_kind:
            raise ValidationError(
                {"ticket_kind": _("Choose the kind of ticket new messages open.")}
            )
        if not isinstance(self.config, dict):
            raise ValidationError({"config": _("The settings must be a JSON object.")})
        for key in self.config:
            if "password" in key.lower() or "secret" in key.lower():
                raise ValidationError(
                    {"config": _("Passwords go into the password fields, not the settings.")}
                )

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        from rapport.channels.models.chat import CALLBACK_ACCOUNTS

        CALLBACK_ACCOUNTS.forget(self.pk)
        SENDING_ACCOUNTS.forget()

    def get_secrets(self) -> dict[str, str]:
        """Decrypted secrets; raises crypto.SecretsUnreadable when the key changed."""
        return decrypt_secrets(self.secrets)

    def set_secrets(self, values: dict[str, str]) -> None:
        """Encrypt and keep `values`; the caller saves."""
        self.secrets = encrypt_secrets(values)

    @property
    def has_secrets(self) -> bool:
        return bool(self.secrets)


class MailboxFolderState(models.Model):
    """Where polling a mailbox folder got to: UIDVALIDITY, the last UID seen, and who polls now."""

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="folder_states",
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID"), default=0)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox folder state")
        verbose_name_plural = _("mailbox folder states")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "folder"], name="channel_folder_state_unique"
            ),
            models.CheckConstraint(condition=Q(last_uid__gte=0), name="channel_folder_uid_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.folder}"


def inbound_upload_to(instance, filename: str) -> str:
    return f"channels/inbound/{timezone.now():%Y/%m}/{filename}"


def attachment_upload_to(instance, filename: str) -> str:
    return f"channels/attachments/{timezone.now():%Y/%m}/{filename}"


class InboundMessage(models.Model):
    """One message as it arrived, stored before anything else happens to it."""

    class State(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("inbound message", "Received")
        PROCESSED = "processed", _("Processed")
        QUARANTINED = "quarantined", _("Quarantined")
        IGNORED = "ignored", _("Ignored")

    # Bodies up to this size stay in the row; larger ones go to a file in storage.
    INLINE_MAX_BYTES = 256 * 1024

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="inbound_messages",
    )
    provider_id = models.CharField(_("provider's id"), max_length=255)
    content_hash = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    raw_bytes = models.BinaryField(_("raw message"), null=True, blank=True)
    raw_file = models.FileField(
        _("raw message file"), upload_to=inbound_upload_to, max_length=300, blank=True
    )
    received_at = models.DateTimeField(
        pgettext_lazy("inbound message", "received at"), default=timezone.now
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    summary = models.CharField(_("from and subject"), max_length=300, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("being processed until"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    conversation = models.ForeignKey(
        "Conversation",
        verbose_name=_("conversation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.ForeignKey(
        "Message",
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_id"],
                name="channel_inbound_unique_provider_id",
                violation_error_message=_("This message was already received."),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="channel_inbound_state"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.provider_id}"

    def read_raw(self) -> bytes:
        if self.raw_bytes is not None:
            return bytes(self.raw_bytes)
        with self.raw_file.open("rb") as handle:
            return handle.read()


class Conversation(models.Model):
    """A thread with a customer that is not (yet) a ticket; it waits in its team's inbox."""

    class State(models.TextChoices):
        UNASSIGNED = "unassigned", _("Unassigned")
        CLAIMED = "claimed", _("Claimed")
        CONVERTED = "converted", _("Converted to a ticket")
        LINKED = "linked", _("Linked to a ticket")
        CLOSED = "closed", _("Closed")

    OPEN_STATES = (State.UNASSIGNED, State.CLAIMED)

    class CloseReason(models.TextChoices):
        NO_ACTION = "no_action", _("No action needed")
        ANSWERED = "answered", _("Answered")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Other")

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    team = models.ForeignKey(
        "staff.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.UNASSIGNED
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    closed_reason = models.CharField(
        _("closed because"), max_length=16, choices=CloseReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(
                fields=["team", "state", "-last_message_at", "-id"], name="channel_conv_inbox"
            ),
            models.Index(fields=["customer", "account", "state"], name="channel_conv_customer"),
            models.Index(
                fields=["claimed_by", "state", "-last_message_at"], name="channel_conv_mine"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="claimed") | Q(claimed_by__isnull=False),
                name="channel_conv_claimed_has_claimer",
                violation_error_message=_("A claimed conversation needs the person claiming it."),
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(closed_reason=""),
                name="channel_conv_closed_has_reason",
                violation_error_message=_("Say why the conversation is closed."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["converted", "linked"]) | Q(ticket_id__isnull=False),
                name="channel_conv_ticket_states_have_ticket",
                violation_error_message=_("A converted or linked conversation needs its ticket."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class Message(models.Model):
    """One message in or out on any channel, as the customer wrote or received it."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Auto(models.TextChoices):
        NONE = "", _("Written by a person")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        OUT_OF_OFFICE = "out_of_office", _("Out of office")
        BOUNCE = "bounce", _("Delivery failure")
        LIST = "list", _("Mailing list")
        LOOP = "loop", _("Mail loop")

    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="messages",
    )
    sender = models.CharField(pgettext_lazy("message", "from"), max_length=254, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    recipients = models.JSONField(pgettext_lazy("message", "to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    text = models.TextField(_("full text"), blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    message_id = models.TextField(_("Message-ID"), blank=True)
    message_id_hash = models.CharField(_("Message-ID hash"), max_length=64, blank=True)
    in_reply_to = models.JSONField(_("in reply to"), default=list, blank=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    auto = models.CharField(
        _("automatic"), max_length=16, choices=Auto.choices, blank=True, default=Auto.NONE
    )
    defects = models.JSONField(_("decoding problems"), default=list, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outbox = models.ForeignKey(
        "OutboxMessage",
        verbose_name=_("outbox message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["message_id_hash"], name="channel_message_mid_hash"),
            models.Index(fields=["conversation", "created_at"], name="channel_message_conv"),
            models.Index(fields=["customer", "-created_at"], name="channel_message_customer"),
            models.Index(
                fields=["ticket_id", "created_at"],
                name="channel_message_ticket",
                condition=Q(ticket_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_direction_display()} {self.subject}"

    @property
    def is_automatic(self) -> bool:
        return bool(self.auto)


class MessageAttachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=127)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    is_inline = models.BooleanField(_("inline"), default=False)
    flagged = models.BooleanField(
        _("flagged"),
        default=False,
        help_text=_("The content does not match the file name; never shown inline."),
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.filename


_VARIABLE = re.compile(r"\{\{[^{}]*\}\}")


def validate_variables_only(value: str) -> None:
    """Templates may show variables ({{ name }}) but run no tags ({% ... %})."""
    if "{%" in (value or ""):
        raise ValidationError(
            _("Templates may only contain variables such as {{ customer_name }}, no {% tags %}."),
            code="template_tags",
        )
    leftover = _VARIABLE.sub("", value or "")
    if "{{" in leftover or "}}" in leftover:
        raise ValidationError(
            _("Close every variable: {{ customer_name }}."), code="template_unclosed"
        )
    try:
        Template(value or "")
    except TemplateSyntaxError as exc:
        raise ValidationError(
            _("The template has an error: %(error)s"), code="template_syntax", params={"error": exc}
        ) from exc


class MessageTemplate(models.Model):
    """The wording of a message to customers, in Chinese and English, with variables."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    purpose = models.CharField(
        pgettext_lazy("message", "purpose"),
        max_length=12,
        choices=Purpose.choices,
        default=Purpose.SERVICE,
    )
    subject_zh = models.CharField(
        _("Chinese subject"), max_length=300, blank=True, validators=[validate_variables_only]
    )
    subject_en = models.CharField(
        _("English subject"), max_length=300, blank=True, validators=[validate_variables_only]
    )
    body_zh = models.TextField(
        pgettext_lazy("message template", "Chinese text"), validators=[validate_variables_only]
    )
    body_en = models.TextField(
        pgettext_lazy("message template", "English text"), validators=[validate_variables_only]
    )
    variables = models.TextField(
        _("variables"), blank=True, help_text=_("What each variable means, one per line.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        MESSAGE_TEMPLATES.forget()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        MESSAGE_TEMPLATES.forget()
        return result

    def clean(self) -> None:
        # A marketing message may go out by SMS (the channel is chosen per customer), and every
        # commercial SMS must carry an easy opt-out (工信部令第31号).
        if self.purpose == Purpose.MARKETING:
            text = sms_opt_out_text()
            errors = {
                name: _("A marketing template must carry the opt-out text “%(text)s”.")
                % {"text": text}
                for name in ("body_zh", "body_en")
                if text not in (getattr(self, name) or "")
            }
            if errors:
                raise ValidationError(errors)


def sms_opt_out_text() -> str:
    """The opt-out every marketing message carries ("回T退订" unless configured)."""
    return getattr(settings, "RAPPORT_SMS_OPT_OUT_TEXT", "") or "回T退订"


class OutboxMessage(models.Model):
    """A message to a customer on its way out. Every message to a customer goes through here.

    The stop conditions are checked when it is sent, not when queued. `idempotency_key` makes a
    repeated request one row; the provider receives it too, so a resend after a crash is the same
    message to the customer.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    FINAL_STATES = (State.SENT, State.DELIVERED, State.FAILED, State.REFUSED)

    class Reason(models.TextChoices):
        DECEASED = "deceased", _("The customer is deceased.")
        DO_NOT_CONTACT = "do_not_contact", _("The customer asked not to be contacted.")
        MERGED = "merged", _("The customer file was merged into another.")
        MARKETING_CONSENT = "marketing_consent", _("The customer withdrew marketing consent.")
        NO_CONSENT = "no_consent", _("The customer has not agreed to this on this channel.")
        FREQUENCY_CAP = "frequency_cap", _("The customer already received enough messages.")
        NO_ADDRESS = "no_address", _("The customer has no reachable address on this channel.")
        UNDELIVERABLE = "undeliverable", _("The address bounced and is undeliverable.")
        NO_ACCOUNT = "no_account", _("No active account sends on this channel.")
        PROVIDER_REJECTED = "provider_rejected", _("The provider refused the message.")
        TOO_MANY_ATTEMPTS = "too_many_attempts", _("Sending failed too many times.")
        BOUNCED = "bounced", _("The message bounced.")
        WINDOW_CLOSED = (
            "window_closed",
            _("The 48-hour window for customer-service messages is closed."),
        )
        WINDOW_QUOTA = "window_quota", _("The messages allowed in the 48-hour window are used up.")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="outbox_messages",
    )
    purpose = models.CharField(
        pgettext_lazy("message", "purpose"), max_length=12, choices=Purpose.choices
    )
    source = models.CharField(_("source"), max_length=40)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    context = models.JSONField(_("variables"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("sent from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    to_address = models.CharField(pgettext_lazy("message", "to"), max_length=254, blank=True)
    # Why this channel, in words (channel_choose, or who chose it), for the timeline.
    channel_reason = models.CharField(_("why this channel"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    # What the customer's timeline says about it; empty: the subject and text. Callers whose text
    # carries a secret (a one-time link) give this so the secret is never written to the timeline.
    summary = models.CharField(_("timeline text"), max_length=1000, blank=True)
    message_id = models.TextField(_("Message-ID"), blank=True)
    thread_message_id = models.TextField(_("in reply to"), blank=True)
    thread_references = models.JSONField(_("thread references"), default=list, blank=True)
    auto_submitted = models.CharField(
        _("Auto-Submitted"),
        max_length=20,
        blank=True,
        help_text=_("auto-replied on acknowledgements, auto-generated on notifications."),
    )
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    request_hash = models.CharField(_("request hash"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's id"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep walks due rows of the two states it may (re)claim.
            models.Index(
                fields=["next_attempt_at"],
                name="channel_outbox_due",
                condition=Q(state__in=["queued", "sending"]),
            ),
            # The frequency cap counts a customer's recent marketing messages.
            models.Index(fields=["customer", "purpose", "sent_at"], name="channel_outbox_customer"),
            models.Index(
                fields=["ticket_id", "created_at"],
                name="channel_outbox_ticket",
                condition=Q(ticket_id__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["failed", "refused"]) | ~Q(reason=""),
                name="channel_outbox_final_failure_has_reason",
                violation_error_message=_("A failed or refused message needs its reason."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["sent", "delivered"]) | Q(sent_at__isnull=False),
                name="channel_outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source} → {self.to_address or self.customer_id}"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


SETTINGS_MEMO = ProcessMemo("messaging settings", ttl=30)
# The account a message goes out from, read for every message sent: by id, and the default per
# channel. Saving any account in this process forgets them all (ChannelAccount.save).
SENDING_ACCOUNTS = ProcessMemo("sending accounts", ttl=30)
# The active template by code, read for every message queued from a template (acknowledgements,
# survey invitations, reminders): saving or deleting a template in this process forgets them.
MESSAGE_TEMPLATES = ProcessMemo("message templates", ttl=30)


class MessagingSettings(models.Model):
    """Site-wide messaging rules, one row (pk=1), edited by administrators."""

    quiet_hours_start = models.TimeField(_("quiet hours start"), default=time(21, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=time(8, 0))
    service_in_quiet_hours = models.BooleanField(
        _("service messages may be sent in quiet hours"), default=True
    )
    marketing_cap_per_week = models.PositiveSmallIntegerField(
        _("marketing messages per customer per 7 days"),
        default=2,
        validators=[MaxValueValidator(100)],
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        _("days a reply reopens a closed ticket"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("Later replies open a new linked ticket."),
    )
    acknowledgement_enabled = models.BooleanField(
        _("acknowledge new e-mail with the tracking link"), default=True
    )

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="channel_settings_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Messaging settings"))

    @classmethod
    def current(cls) -> "MessagingSettings":
        """The row, read now (for editing)."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    @classmethod
    def cached(cls) -> "MessagingSettings":
        """The rules as the pipeline reads them for every message: a copy kept per process
        (rapport.core.memo); a change reaches every worker within SETTINGS_MEMO.ttl seconds."""
        return SETTINGS_MEMO.get(cls, lambda: cls.objects.filter(pk=1).first()) or cls(pk=1)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        SETTINGS_MEMO.forget(type(self))


class FakeSentMessage(models.Model):
    """What the `fake` provider "sent": one row per idempotency key, with how often it was asked.

    A real provider honours the key the same way (e-mail: the same Message-ID), so `calls` > 1
    is a retry the customer never sees twice.
    """

    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    outbox_id = models.BigIntegerField(_("outbox message"))
    channel = models.CharField(_("channel"), max_length=8)
    to_address = models.CharField(pgettext_lazy("message", "to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("text"))
    message_id = models.TextField(_("Message-ID"), blank=True)
    calls = models.PositiveIntegerField(_("calls"), default=1)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("fake sent message")
        verbose_name_plural = _("fake sent messages")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.to_address} {self.subject}"


# The chat channels' own models (WeChat, WeCom), split out to keep this module readable.
from rapport.channels.models.chat import (  # noqa: E402
    ChatAccessToken as ChatAccessToken,
)
from rapport.channels.models.chat import (  # noqa: E402
    ChatBindingInvite as ChatBindingInvite,
)
from rapport.channels.models.chat import (  # noqa: E402
    ChatSession as ChatSession,
)
from rapport.channels.models.chat import (  # noqa: E402
    FakeKfMessage as FakeKfMessage,
)
from rapport.channels.models.chat import (  # noqa: E402
    WeComSyncState as WeComSyncState,
)

# The phone channel's models live in its sub-package and belong to this app.
from rapport.channels.phone.models import Call as Call  # noqa: E402
from rapport.channels.phone.models import CallEvent as CallEvent  # noqa: E402

# SMS's own tables live with the SMS code; importing them here registers them with the app.
from rapport.channels.sms.models import SmsReceipt, SmsTemplateCode  # noqa: E402, F401
