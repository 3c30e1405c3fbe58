"""SMS admin data: provider template codes per account, receipts (read-only), SMS secrets."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rapport.channels.admin import SECRET_FIELDS
from rapport.channels.sms.models import SmsReceipt, SmsTemplateCode

# The account form shows these as write-only password fields, next to the e-mail ones.
SECRET_FIELDS.update(
    {
        "access_key_id": _("SMS: Aliyun AccessKey id"),
        "access_key_secret": _("SMS: Aliyun AccessKey secret"),
        "secret_id": _("SMS: Tencent Cloud SecretId"),
        "secret_key": _("SMS: Tencent Cloud SecretKey"),
        "callback_token": _(
            "SMS: callback token (the provider calls …/channels/sms/<id>/receipt?token=…)"
        ),
    }
)


@admin.register(SmsTemplateCode)
class SmsTemplateCodeAdmin(admin.ModelAdmin):
    list_display = ["account", "template", "code", "param_names"]
    list_filter = ["account"]
    list_select_related = ["account", "template"]
    search_fields = ["code", "template__code"]


@admin.register(SmsReceipt)
class SmsReceiptAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "account",
        "provider_message_id",
        "status",
        "code",
        "outcome",
        "reason",
    ]
    list_filter = ["status", "outcome", "account"]
    list_select_related = ["account"]
    search_fields = ["provider_message_id", "phone"]
    readonly_fields = [f.name for f in SmsReceipt._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
