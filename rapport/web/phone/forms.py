"""Forms of the phone pages: they parse, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.channels.models import ChannelAccount
from rapport.core.bounds import BoundedFormMixin
from rapport.core.masking import mask_phone
from rapport.customers.models import Identity
from rapport.staff.models import User

CALLERS_LISTED = 60


class DialForm(BoundedFormMixin, forms.Form):
    """Which of the customer's numbers to call: an identity id, never the number itself."""

    identity = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class SimulateCallForm(BoundedFormMixin, forms.Form):
    account = forms.ModelChoiceField(
        label=_("Phone account"), queryset=ChannelAccount.objects.none(), empty_label=None
    )
    caller = forms.TypedChoiceField(
        label=_("Caller"),
        coerce=int,
        help_text=_("A customer's number (shown masked), or a number nobody has yet."),
    )
    agent = forms.ModelChoiceField(
        label=_("Rings at"), queryset=User.objects.none(), empty_label=None
    )
    scenario = forms.ChoiceField(
        label=_("What happens"),
        choices=[
            ("ring", _("It rings; answer or hang up below")),
            ("talk", _("Rings, answered, ends after 3 minutes")),
            ("missed", _("Rings, nobody answers (missed)")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ChannelAccount.objects.filter(
            kind=ChannelAccount.Kind.PHONE, is_active=True
        )
        self.fields["agent"].queryset = (
            User.objects.filter(is_active=True).exclude(phone_extension="").order_by("username")
        )
        self.fields["agent"].label_from_instance = lambda u: f"{u} · {u.phone_extension}"
        phones = (
            Identity.objects.filter(kind="phone", customer__merged_into__isnull=True)
            .select_related("customer")
            .order_by("customer_id", "id")[:CALLERS_LISTED]
        )
        self.fields["caller"].choices = [
            (0, _("A number nobody has yet")),
            *[(i.pk, f"{i.customer.name} · {mask_phone(i.value)}") for i in phones],
        ]


class CallStepForm(BoundedFormMixin, forms.Form):
    step = forms.ChoiceField(
        choices=[("answered", "answered"), ("ended", "ended"), ("missed", "missed")]
    )
