from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rapport.channels import providers
from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import (
    ChannelAccount,
    Conversation,
    InboundMessage,
    MailboxFolderState,
    Message,
    MessageAttachment,
    MessageTemplate,
    MessagingSettings,
    OutboxMessage,
)
from rapport.channels.wechat.forms import CHAT_SECRET_FIELDS, ChatSettingsMixin

# The secrets an account may hold; each is a password field that is never shown back.
SECRET_FIELDS = {
    "imap_password": _("IMAP password or authorisation code (授权码)"),
    "smtp_password": _("SMTP password or authorisation code (授权码)"),
    "api_secret": _("API secret (WeChat, WeCom, SMS)"),
    "webhook_secret": _(
        "Inbound webhook secret (signs POST /api/v1/channels/email/inbound/<account id>)"
    ),
    **CHAT_SECRET_FIELDS,
    "push_username": _("Call centre push user name (TCCC data push, basicAuth)"),
    "push_password": _("Call centre push password (TCCC data push, basicAuth)"),
}


class ChannelAccountForm(ChatSettingsMixin, forms.ModelForm):  # bounded (BoundedFormMixin)
    """Passwords are write-only: empty keeps the stored one, "forget" removes them all."""

    forget_secrets = forms.BooleanField(
        label=_("Forget the stored passwords"), required=False, initial=False
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "kind",
            "name",
            "address",
            "default_team",
            "open_as",
            "ticket_kind",
            "ticket_type_code",
            "provider",
            "is_default",
            "is_active",
            "config",
        ]
        help_texts = {
            "config": _(
                'JSON, e.g. {"imap_host": "imap.163.com", "imap_port": 993, "imap_tls": "ssl", '
                '"imap_user": "service@163.com", "folder": "INBOX", "smtp_host": "smtp.163.com", '
                '"smtp_port": 465, "smtp_tls": "ssl", "smtp_user": "service@163.com"}. '
                "Passwords go into the fields below."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = bool(self.instance and self.instance.secrets)
        for name, label in SECRET_FIELDS.items():
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                strip=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                help_text=_("Stored — leave empty to keep it.") if stored else "",
            )
        self.chat_initial()

    def clean(self):
        cleaned = super().clean()
        if self.instance and self.instance.secrets and not cleaned.get("forget_secrets"):
            try:
                self.instance.get_secrets()
            except SecretsUnreadable as exc:
                if not any(cleaned.get(name) for name in SECRET_FIELDS):
                    raise forms.ValidationError(str(exc)) from exc
        stored = {}
        if self.instance and self.instance.secrets and not cleaned.get("forget_secrets"):
            try:
                stored = self.instance.get_secrets()
            except SecretsUnreadable:
                stored = {}
        self.chat_clean(cleaned, stored)
        return cleaned

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("forget_secrets"):
            current: dict[str, str] = {}
        else:
            try:
                current = account.get_secrets()
            except SecretsUnreadable:
                current = {}
        for name in SECRET_FIELDS:
            if self.cleaned_data.get(name):
                current[name] = self.cleaned_data[name]
        account.set_secrets(current)
        self.chat_config(account)
        if commit:
            account.save()
        return account


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = [
        "name",
        "kind",
        "address",
        "default_team",
        "provider",
        "is_default",
        "is_active",
        "last_checked_at",
        "last_error",
    ]
    list_filter = ["kind", "is_active", "provider"]
    search_fields = ["name", "address"]
    readonly_fields = ["last_checked_at", "last_error"]
    actions = ["test_connection"]

    @admin.action(description=_("Test the connection"))
    def test_connection(self, request, queryset):
        for account in queryset:
            error = providers.check_connection(account)
            now = timezone.now()
            ChannelAccount.objects.filter(pk=account.pk).update(
                last_checked_at=now, last_error=error or ""
            )
            if error:
                self.message_user(
                    request,
                    _("%(account)s: %(error)s") % {"account": account.name, "error": error},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(account)s: the connection works.") % {"account": account.name},
                    messages.SUCCESS,
                )


@admin.register(MailboxFolderState)
class MailboxFolderStateAdmin(admin.ModelAdmin):
    list_display = ["account", "folder", "uidvalidity", "last_uid", "last_polled_at"]
    list_filter = ["account"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "state", "summary", "received_at", "attempts", "error"]
    list_filter = ["state", "account"]
    search_fields = ["provider_id", "summary", "content_hash"]
    exclude = ["raw_bytes"]
    readonly_fields = [
        "account",
        "provider_id",
        "content_hash",
        "size",
        "raw_file",
        "received_at",
        "state",
        "error",
        "summary",
        "attempts",
        "lease_until",
        "processed_at",
        "conversation",
        "message",
    ]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Process again"))
    def replay(self, request, queryset):
        from rapport.channels.services import inbound_replay

        done = 0
        for inbound in queryset:
            inbound_replay(inbound=inbound, by=request.user)
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d message processed again.", "%(count)d messages processed again.", done
            )
            % {"count": done},
        )


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "customer", "team", "state", "claimed_by", "last_message_at"]
    list_filter = ["state", "team", "account"]
    search_fields = ["subject"]
    raw_id_fields = ["customer", "claimed_by", "closed_by"]


class MessageAttachmentInline(admin.TabularInline):
    model = MessageAttachment
    extra = 0
    fields = ["filename", "content_type", "size", "is_inline", "flagged"]
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "direction", "channel", "customer", "subject", "auto", "created_at"]
    list_filter = ["direction", "channel", "auto"]
    search_fields = ["subject", "sender"]
    raw_id_fields = ["conversation", "customer", "interaction", "outbox", "sent_by"]
    inlines = [MessageAttachmentInline]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "purpose", "is_active", "updated_at"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["code", "name", "body_zh", "body_en"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "source",
        "customer",
        "channel",
        "to_address",
        "state",
        "reason",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "channel", "purpose", "source"]
    search_fields = ["idempotency_key", "to_address", "subject"]
    raw_id_fields = ["customer", "interaction", "created_by", "conversation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "quiet_hours_start",
        "quiet_hours_end",
        "service_in_quiet_hours",
        "marketing_cap_per_week",
        "reopen_window_days",
        "acknowledgement_enabled",
    ]

    def has_add_permission(self, request):
        return not MessagingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# The phone channel's calls and call events (rapport/channels/phone/admin.py).
from rapport.channels.phone import admin as _phone_admin  # noqa: E402, F401
from rapport.channels.sms import admin as sms_admin  # noqa: E402, F401  (SMS admin pages)
