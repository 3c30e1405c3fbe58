"""Forms of the inbox pages: they parse, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.channels.models import ChannelAccount, Conversation
from rapport.core.bounds import BoundedFormMixin
from rapport.tickets.models import Ticket


class ReplyForm(BoundedFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "data-coach": "chat"}),
    )


class ConvertForm(BoundedFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("ticket", "Kind"),
        choices=Ticket.Kind.choices,
        initial=Ticket.Kind.COMPLAINT,
    )


class LinkForm(BoundedFormMixin, forms.Form):
    ticket = forms.TypedChoiceField(label=_("Ticket"), coerce=int, choices=())

    def __init__(self, *args, tickets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ticket"].choices = [(t.pk, f"{t.number} {t.subject}") for t in tickets]


class CloseForm(BoundedFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Why"),
        choices=Conversation.CloseReason.choices,
        initial=Conversation.CloseReason.NO_ACTION,
    )


class SimulateForm(BoundedFormMixin, forms.Form):
    """An e-mail as a customer would send it; it goes through the real inbound pipeline."""

    account = forms.ModelChoiceField(
        label=_("To mailbox"), queryset=ChannelAccount.objects.none(), empty_label=None
    )
    from_name = forms.CharField(label=_("Sender's name"), max_length=100, required=False)
    from_address = forms.EmailField(label=_("From (e-mail address)"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    ticket_number = forms.RegexField(
        label=_("Ticket number (optional)"),
        regex=r"^\s*[Tt]?\d{1,9}\s*$",
        required=False,
        help_text=_("Adds [T000123] to the subject, as a customer's reply would carry it."),
    )
    in_reply_to = forms.CharField(
        label=_("In-Reply-To (optional)"),
        max_length=500,
        required=False,
        help_text=_("The Message-ID of one of our e-mails, to thread by headers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ChannelAccount.objects.filter(
            is_active=True, kind=ChannelAccount.Kind.EMAIL
        ).order_by("name")


class ChatSimulateForm(BoundedFormMixin, forms.Form):
    """A WeChat / WeCom message as the customer's phone would send it: encrypted with the
    account's key, signed with its token and posted to its real callback URL."""

    KINDS = (
        ("text", pgettext_lazy("chat message", "Text")),
        ("image", _("Image")),
        ("voice", _("Voice (with recognition text)")),
        ("file", _("File (WeCom customer service)")),
        ("subscribe", _("Follow / enter the chat")),
        ("unsubscribe", _("Unfollow (Official Account)")),
    )

    chat_account = forms.ModelChoiceField(
        label=_("To account"), queryset=ChannelAccount.objects.none(), empty_label=None
    )
    user_id = forms.RegexField(
        label=_("Customer's openid / external_userid"),
        regex=r"^[A-Za-z0-9_-]{6,128}$",
        initial="oDemoCustomer0000000000001",
        help_text=_("The same id again is the same customer; a new id makes a potential customer."),
    )
    kind = forms.ChoiceField(label=_("Message type"), choices=KINDS, initial="text")
    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.db.models import Q

        self.fields["chat_account"].queryset = ChannelAccount.objects.filter(
            Q(kind=ChannelAccount.Kind.WECHAT)
            | Q(kind=ChannelAccount.Kind.WECOM, provider=ChannelAccount.Provider.FAKE),
            is_active=True,
        ).order_by("kind", "name")

    def clean(self):
        data = super().clean()
        if data.get("kind") in ("text", "voice") and not (data.get("text") or "").strip():
            self.add_error("text", _("Write what the customer says."))
        account = data.get("chat_account")
        if data.get("kind") == "file" and account and account.kind != ChannelAccount.Kind.WECOM:
            self.add_error("kind", _("Only WeCom customer service passes files on."))
        return data


class SimulateSmsForm(BoundedFormMixin, forms.Form):
    """An SMS reply as a provider would push it; it goes through the real inbound pipeline."""

    account = forms.ModelChoiceField(
        label=_("To SMS account"), queryset=ChannelAccount.objects.none(), empty_label=None
    )
    phone = forms.CharField(label=_("From (mobile number)"), max_length=32)
    text = forms.CharField(
        label=_("Text"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("TD, 退订, T or N withdraws marketing consent."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "sms-%s")  # shares the page with the e-mail form
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ChannelAccount.objects.filter(
            is_active=True, kind=ChannelAccount.Kind.SMS
        ).order_by("name")

    def clean_phone(self):
        from django.core.exceptions import ValidationError

        from rapport.core.phones import normalize_phone

        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
