"""Models of the chat channels (WeChat Official Account 公众号, WeCom customer service 微信客服).

`ChatSession` is one customer on one chat account: the 48-hour customer-service window and its
quota, the follow state, WeCom's session state. `ChatAccessToken` keeps the account's access token
(one row per account, refreshed by one claimed job). `WeComSyncState` is where `sync_msg` got to.
"""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.memo import ProcessMemo

# The callback reads its account and decrypted settings on every POST: kept per process for a
# short time; saving an account in this process forgets it at once (ChannelAccount.save).
CALLBACK_ACCOUNTS = ProcessMemo("chat callback accounts", ttl=30)

# Customer-service messages allowed after a customer's message, and for how long.
WINDOW = timedelta(hours=48)
WINDOW_QUOTA = 5


class ChatSession(models.Model):
    """One customer on one chat account (一个公众号粉丝/微信客服客户): window, quota, states."""

    class KfState(models.IntegerChoices):
        NEW = 0, _("Not handled yet")
        BOT = 1, _("With the bot")
        QUEUED = 2, _("Waiting in the queue")
        HUMAN = 3, _("With a representative")
        ENDED = 4, _("Ended")

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="chat_sessions",
    )
    user_id = models.CharField(_("user id (openid / external_userid)"), max_length=128)
    unionid = models.CharField(_("unionid"), max_length=128, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_inbound_at = models.DateTimeField(_("last message from the customer"), null=True)
    window_sent = models.PositiveSmallIntegerField(_("sent in this window"), default=0)
    followed = models.BooleanField(_("following"), default=True)
    unfollowed_at = models.DateTimeField(_("unfollowed at"), null=True, blank=True)
    kf_state = models.PositiveSmallIntegerField(
        _("session state"), choices=KfState.choices, null=True, blank=True
    )
    servicer = models.CharField(_("servicer"), max_length=128, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        constraints = [
            models.UniqueConstraint(fields=["account", "user_id"], name="chat_session_unique"),
            models.CheckConstraint(
                condition=Q(window_sent__lte=100), name="chat_session_window_sent_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.user_id}"

    def window_ends_at(self):
        return self.last_inbound_at + WINDOW if self.last_inbound_at else None

    def window_open(self, now=None) -> bool:
        ends = self.window_ends_at()
        return ends is not None and (now or timezone.now()) < ends


class ChatAccessToken(models.Model):
    """The account's current access token (one row per account), refreshed by one worker."""

    account = models.OneToOneField(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="access_token",
    )
    token = models.TextField(_("access token (encrypted)"), blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("being refreshed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"{self.account_id} → {self.expires_at}"


class WeComSyncState(models.Model):
    """Where pulling WeCom customer-service messages (sync_msg) got to: the cursor."""

    account = models.OneToOneField(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="wecom_sync",
    )
    cursor = models.CharField(_("cursor"), max_length=255, blank=True)
    claimed_until = models.DateTimeField(_("being synced until"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages read"), default=0)
    # A callback arrived while another worker was syncing: it reads once more before stopping.
    rerun = models.BooleanField(_("sync again"), default=False)
    callback_token = models.CharField(_("token of the last callback"), max_length=255, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("WeCom sync state")
        verbose_name_plural = _("WeCom sync states")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.cursor or '—'}"


class FakeKfMessage(models.Model):
    """A WeCom customer-service message waiting "on the server" of a fake account: what the
    fake `sync_msg` returns (the simulate page and the demo put them here). The id is the cursor."""

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    payload = models.JSONField(_("message"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("fake WeCom message")
        verbose_name_plural = _("fake WeCom messages")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.pk}"


class ChatBindingInvite(models.Model):
    """A QR code or link made for one customer on one chat account (微信绑定邀请): whoever
    follows through it (WeChat: the parametric QR code's scene "bind:<code>"; WeCom customer
    service: the contact link's scene_param) is bound to this customer. Works once, until it
    expires (WeChat's temporary QR codes live at most 30 days)."""

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="binding_invites",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    url = models.CharField(_("link in the QR code"), max_length=500)
    qr_ticket = models.CharField(_("QR ticket"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("made by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.CharField(_("used by (chat id)"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("WeChat binding invitation")
        verbose_name_plural = _("WeChat binding invitations")
        indexes = [models.Index(fields=["customer", "account", "-expires_at"])]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.code}"
