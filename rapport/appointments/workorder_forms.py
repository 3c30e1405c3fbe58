"""Forms of the work-order pages and the workshop measures page. They parse; the services in
workorders.py decide."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.appointments.models import Authorisation, PriceItem, WorkOrder
from rapport.core.bounds import BoundedDateField, BoundedDateTimeField, BoundedFormMixin

MAX_MEASURE_DAYS = 92


class WorkOrderFilterForm(BoundedFormMixin, forms.Form):
    VIEWS = [
        ("", _("All")),
        ("today", _("Today")),
        ("waiting", _("Waiting for parts or authorisation")),
        ("repeat", _("Repeat repairs")),
    ]
    view = forms.ChoiceField(label=_("Show"), choices=VIEWS, required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *WorkOrder.State.choices], required=False
    )
    advisor = forms.TypedChoiceField(
        label=_("Service advisor"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, advisors: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = [("", _("Any advisor")), *advisors]


class OpenForm(BoundedFormMixin, forms.Form):
    """Writing the work order at reception, in the texts' order."""

    customer_words = forms.CharField(
        label=_("The customer's own words (顾客原话)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write what the customer says, as they say it; it cannot be changed later."),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Main items"),
        queryset=PriceItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    keep_old_parts = forms.BooleanField(label=_("The customer keeps the old parts"), required=False)
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=WorkOrder.Payment.choices)
    mileage_km = forms.IntegerField(
        label=_("Mileage (km)"), required=False, min_value=0, max_value=2_000_000
    )
    promised_at = BoundedDateTimeField(
        label=_("Ready for collection at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = PriceItem.objects.filter(is_active=True)


class ItemForm(BoundedFormMixin, forms.Form):
    price_item = forms.ModelChoiceField(
        label=_("From the price list"),
        queryset=PriceItem.objects.none(),
        required=False,
        empty_label=_("— a quoted line —"),
    )
    description = forms.CharField(label=_("Quoted work"), max_length=200, required=False)
    unit_price = forms.CharField(label=_("Quoted price (yuan)"), max_length=20, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=10, initial="1")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_item"].queryset = PriceItem.objects.filter(is_active=True)


class AuthoriseForm(BoundedFormMixin, forms.Form):
    scope = forms.ChoiceField(label=_("What is authorised"), choices=Authorisation.Scope.choices)
    method = forms.ChoiceField(label=_("How"), choices=Authorisation.Method.choices)
    given_by = forms.CharField(label=_("Given by"), max_length=100)
    contact = forms.CharField(
        label=_("Contact used"),
        max_length=254,
        required=False,
        help_text=_("For SMS, WeChat or a call: the customer's recorded phone or WeChat."),
    )
    minutes = forms.IntegerField(
        label=_("Diagnosis time (minutes)"),
        required=False,
        min_value=15,
        max_value=24 * 60,
        help_text=_("Only for a diagnosis; empty: the workshop's default."),
    )


class WaitForm(BoundedFormMixin, forms.Form):
    waiting_for = forms.CharField(label=_("Waiting for"), max_length=200, required=False)


class ExplainForm(BoundedFormMixin, forms.Form):
    explained_work = forms.BooleanField(required=False)
    explained_benefit = forms.BooleanField(required=False)
    explained_cost = forms.BooleanField(required=False)
    explained_duration = forms.BooleanField(required=False)
    explained_collection = forms.BooleanField(required=False)


class MeasuresForm(BoundedFormMixin, forms.Form):
    first = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = BoundedDateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        last = data.get("last") or today
        first = data.get("first") or last - timedelta(days=29)
        if first > last:
            raise forms.ValidationError(_("The period must start before it ends."))
        if (last - first).days + 1 > MAX_MEASURE_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)d days.") % {"days": MAX_MEASURE_DAYS}
            )
        data["first"], data["last"] = first, last
        return data
