"""The outbox's SMS sender: find the provider template for the message, fill its parameters,
send through the account's provider, and say what went wrong in words when it did."""

from django.utils.translation import gettext as _

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import ChannelAccount, OutboxMessage
from rapport.channels.providers import ProviderResult, register_sender
from rapport.channels.sms.models import SmsTemplateCode
from rapport.channels.sms.providers import AliyunSms, FakeSms, SmsProvider, TencentSms

VENDORS = ("aliyun", "tencent", "fake")


def sms_provider_for(account: ChannelAccount) -> SmsProvider:
    """The account's provider, from `config["vendor"]` and the encrypted secrets. The `fake`
    provider setting of the account (demo, tests) always wins. Raises ValueError with a
    readable reason when the account is not set up."""
    if account.provider == ChannelAccount.Provider.FAKE:
        return FakeSms()
    vendor = (account.config or {}).get("vendor", "")
    try:
        secrets = account.get_secrets()
    except SecretsUnreadable as exc:
        raise ValueError(_("The account's secrets cannot be read (the key changed).")) from exc
    region = str((account.config or {}).get("region", ""))
    if vendor == "aliyun":
        if not (secrets.get("access_key_id") and secrets.get("access_key_secret")):
            raise ValueError(_("Set the Aliyun AccessKey id and secret of this account."))
        return AliyunSms(
            access_key_id=secrets["access_key_id"],
            access_key_secret=secrets["access_key_secret"],
            region=region,
        )
    if vendor == "tencent":
        app_id = str((account.config or {}).get("sdk_app_id", ""))
        if not (secrets.get("secret_id") and secrets.get("secret_key") and app_id):
            raise ValueError(_("Set the Tencent SecretId, SecretKey and SmsSdkAppId."))
        return TencentSms(
            secret_id=secrets["secret_id"],
            secret_key=secrets["secret_key"],
            sdk_app_id=app_id,
            region=region,
        )
    if vendor == "fake":
        return FakeSms()
    raise ValueError(_("Choose the SMS provider of this account (aliyun or tencent)."))


def template_params(outbox: OutboxMessage, code: SmsTemplateCode) -> list[tuple[str, str]]:
    """The provider template's parameters, in order, from the message's variables."""
    values = {
        "customer_name": outbox.customer.name,
        **{k: str(v) for k, v in (outbox.context or {}).items()},
        "content": outbox.body,
    }
    return [(name, values.get(name, "")) for name in code.param_names or ["content"]]


@register_sender("sms")
def sms_send(outbox: OutboxMessage, account: ChannelAccount) -> ProviderResult:
    """Send one outbox row by SMS (the generic fake provider handles fake accounts)."""
    sign_name = str((account.config or {}).get("sign_name", "")).strip()
    if not sign_name:
        return ProviderResult(
            ok=False, permanent=True, reason=_("The SMS account has no signature (签名).")
        )
    code = (
        SmsTemplateCode.objects.filter(account=account, template_id=outbox.template_id).first()
        if outbox.template_id
        else None
    ) or SmsTemplateCode.objects.filter(account=account, template__isnull=True).first()
    if code is None:
        return ProviderResult(
            ok=False,
            permanent=True,
            reason=_("No provider template code for “%(template)s” on this SMS account.")
            % {"template": outbox.template.code if outbox.template_id else _("free text")},
        )
    try:
        provider = sms_provider_for(account)
    except ValueError as exc:
        return ProviderResult(ok=False, permanent=True, reason=str(exc))
    result = provider.send(
        phone=outbox.to_address,
        sign_name=sign_name,
        template_code=code.code,
        params=template_params(outbox, code),
        out_id=str(outbox.pk),
    )
    return ProviderResult(
        ok=result.ok,
        permanent=result.permanent,
        provider_message_id=result.provider_message_id,
        reason=result.reason,
    )
