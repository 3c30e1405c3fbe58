"""The WeChat / WeCom part of the channel account form (admin): settings kept in `config`,
secrets (AppSecret, the 微信客服 secret, Token, EncodingAESKey) encrypted and never shown back."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.channels.wechat.crypto import CryptoError, aes_key
from rapport.core.bounds import BoundedFormMixin

CHAT_SECRET_FIELDS = {
    "secret": _("AppSecret (WeChat Official Account)"),
    "kf_secret": _("Customer-service secret (WeCom 微信客服)"),
    "token": _("Callback Token (WeChat, WeCom)"),
    "encoding_aes_key": _("EncodingAESKey (43 characters; WeChat safe mode, WeCom)"),
}

# form field → config key
CHAT_CONFIG_FIELDS = {
    "chat_appid": "appid",
    "chat_mode": "mode",
    "chat_template_id": "template_id",
    "chat_template_fields": "template_fields",
    "chat_corpid": "corpid",
    "chat_open_kfid": "open_kfid",
}


class ChatSettingsMixin(BoundedFormMixin, forms.Form):
    """Adds the chat settings to a ChannelAccount ModelForm; used only for wechat/wecom kinds."""

    chat_appid = forms.RegexField(
        label=_("AppID (WeChat)"), regex=r"^wx[0-9a-f]{16}$", required=False, max_length=18
    )
    chat_mode = forms.ChoiceField(
        label=_("Message encryption (WeChat)"),
        choices=[("safe", _("Safe mode (encrypted)")), ("plain", _("Plain text mode"))],
        initial="safe",
        required=False,
    )
    chat_template_id = forms.CharField(
        label=_("Template id for replies outside the 48-hour window (WeChat)"),
        max_length=64,
        required=False,
    )
    chat_template_fields = forms.CharField(
        label=_("Template keyword fields"),
        max_length=200,
        required=False,
        initial="thing1,thing2",
        help_text=_(
            "Comma-separated, e.g. thing1,thing2: the subject, then the text (≤ 20 characters each)."
        ),
    )
    chat_corpid = forms.RegexField(
        label=_("CorpID (WeCom)"), regex=r"^w[a-zA-Z0-9]{5,40}$", required=False, max_length=40
    )
    chat_open_kfid = forms.RegexField(
        label=_("open_kfid (WeCom customer-service account)"),
        regex=r"^[A-Za-z0-9_-]{6,64}$",
        required=False,
        max_length=64,
    )

    def chat_initial(self) -> None:
        config = (self.instance.config if self.instance and self.instance.pk else {}) or {}
        for field, key in CHAT_CONFIG_FIELDS.items():
            if key in config:
                value = config[key]
                self.initial[field] = ",".join(value) if isinstance(value, list) else value

    def chat_clean(self, cleaned: dict, stored: dict) -> None:
        kind = cleaned.get("kind")
        if kind not in ("wechat", "wecom"):
            return
        key = cleaned.get("encoding_aes_key") or ""
        if key:
            try:
                aes_key(key)
            except CryptoError as exc:
                self.add_error("encoding_aes_key", exc.reason)
        has = lambda name: bool(cleaned.get(name) or stored.get(name))  # noqa: E731
        if kind == "wechat":
            if not cleaned.get("chat_appid"):
                self.add_error("chat_appid", _("A WeChat account needs its AppID."))
            if cleaned.get("chat_mode") != "plain" and not has("encoding_aes_key"):
                self.add_error("encoding_aes_key", _("Safe mode needs the EncodingAESKey."))
            if not has("secret"):
                self.add_error("secret", _("A WeChat account needs its AppSecret."))
        else:
            if not cleaned.get("chat_corpid"):
                self.add_error("chat_corpid", _("A WeCom account needs its CorpID."))
            if not cleaned.get("chat_open_kfid"):
                self.add_error("chat_open_kfid", _("A WeCom account needs its open_kfid."))
            if not has("encoding_aes_key"):
                self.add_error("encoding_aes_key", _("WeCom needs the EncodingAESKey."))
            if not has("kf_secret"):
                self.add_error("kf_secret", _("A WeCom account needs the customer-service secret."))
        if not has("token"):
            self.add_error("token", _("The callback needs its Token."))

    def chat_config(self, account) -> None:
        if account.kind not in ("wechat", "wecom"):
            return
        config = dict(account.config or {})
        for field, key in CHAT_CONFIG_FIELDS.items():
            value = self.cleaned_data.get(field)
            if key == "template_fields":
                value = [v.strip() for v in (value or "").split(",") if v.strip()]
            if value:
                config[key] = value
            else:
                config.pop(key, None)
        account.config = config
