from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.bounds import BoundedFormMixin
from rapport.customers.models import Asset, Consent, Contact, Customer, Identity
from rapport.staff.models import Team, User

PROFILE_FIELDS = [
    "name",
    "kind",
    "tier",
    "lifecycle_stage",
    "churn_reason",
    "churn_note",
    "gender",
    "birthday",
    "lunar_birthday_month",
    "lunar_birthday_day",
    "id_number",
    "city",
    "address",
    "language",
    "lifetime_value",
    "service_team",
    "account_manager",
    "preferred_channel",
    "marketing_opt_out",
    "do_not_contact",
    "is_deceased",
    "notes",
]


class CustomerProfileForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = Customer
        fields = PROFILE_FIELDS
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    fieldsets = [
        (_("Customer"), ["name", "kind", "tier", "language"]),
        (_("Contact details"), ["phone", "email", "wechat", "city", "address"]),
        (
            pgettext_lazy("customer kind", "Person"),
            ["gender", "birthday", "lunar_birthday_month", "lunar_birthday_day", "id_number"],
        ),
        (
            _("Relationship"),
            [
                "lifecycle_stage",
                "churn_reason",
                "lifetime_value",
                "service_team",
                "account_manager",
                "churn_note",
                "notes",
            ],
        ),
        (
            _("Consent"),
            ["preferred_channel", "marketing_opt_out", "do_not_contact", "is_deceased"],
        ),
    ]

    def grouped_fields(self):
        """The form's fields by section, for the template; fields a form lacks are skipped."""
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in self.fieldsets
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if getattr(field, "empty_label", None) is not None:
                field.empty_label = "—"
            elif (
                isinstance(field, forms.ChoiceField) and field.choices and field.choices[0][0] == ""
            ):
                field.choices = [("", "—"), *field.choices[1:]]
        self.fields["service_team"].queryset = Team.objects.filter(is_active=True)
        self.fields["account_manager"].queryset = User.objects.filter(
            is_active=True, role=User.Role.KEY_ACCOUNT_MANAGER
        )
        if self.instance.pk:
            # The ID number is masked on screen, so the form never sends it back: an empty
            # field keeps the stored number, a filled one replaces it.
            self.initial["id_number"] = ""
            self.fields["id_number"].help_text = _("Leave empty to keep the stored number.")

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "").strip().upper()
        if not value and self.instance.pk:
            return self.instance.id_number
        return value

    def clean(self):
        data = super().clean()
        if data.get("lifecycle_stage") == Customer.Stage.LOST and not data.get("churn_reason"):
            self.add_error("churn_reason", _("A lost customer needs a churn reason."))
        return data


class CustomerCreateForm(CustomerProfileForm):
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat id"), max_length=20, required=False)

    class Meta(CustomerProfileForm.Meta):
        fields = [*PROFILE_FIELDS[:4], "phone", "email", "wechat", *PROFILE_FIELDS[4:]]


class IdentityForm(BoundedFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Identity.Kind.choices)
    value = forms.CharField(label=_("Value"), max_length=254)
    label = forms.CharField(label=_("Label"), max_length=30, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AssetForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = Asset
        fields = [
            "kind",
            "name",
            "identifier",
            "plate",
            "model",
            "mileage_km",
            "mileage_read_on",
            "purchased_on",
            "warranty_ends_on",
            "expires_on",
            "last_service_on",
            "service_mileage_km",
            "notes",
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in (
                "purchased_on",
                "warranty_ends_on",
                "expires_on",
                "last_service_on",
                "mileage_read_on",
            )
        }
        help_texts = {
            "mileage_read_on": _(
                "The day the odometer showed this mileage; today when left empty."
            ),
            "service_mileage_km": _(
                "The odometer at the last service; maintenance reminders by mileage count from it."
            ),
        }


class ContactForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "is_primary", "is_decision_maker"]


class TagsForm(BoundedFormMixin, forms.Form):
    tags = forms.CharField(
        label=_("Tags"),
        max_length=400,
        required=False,
        help_text=_("Separate tags with commas."),
    )

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "").replace("，", ",")
        names = []
        for name in raw.split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
        return names


class MergeForm(BoundedFormMixin, forms.Form):
    duplicate = forms.IntegerField(
        label=_("Customer number of the duplicate"),
        min_value=1,
        help_text=_(
            "Everything the duplicate has moves to this customer; the duplicate is closed."
        ),
    )


class CustomerFilterForm(BoundedFormMixin, forms.Form):
    q = forms.CharField(required=False, max_length=100)
    tier = forms.ChoiceField(required=False, choices=[("", _("All tiers")), *Customer.Tier.choices])
    stage = forms.ChoiceField(
        required=False, choices=[("", _("All stages")), *Customer.Stage.choices]
    )
    tag = forms.CharField(required=False, max_length=40)
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("recent", _("Newest")),
            ("name", _("Name")),
            ("updated", _("Recently updated")),
            ("value", _("Lifetime value")),
        ],
    )


class ConsentForm(BoundedFormMixin, forms.Form):
    """Staff record a consent change the customer told them about, with the reason."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Consent.Channel.choices, required=False)
    granted = forms.TypedChoiceField(
        label=_("The customer"),
        choices=[("yes", _("agrees")), ("no", _("withdraws"))],
        coerce=lambda value: value == "yes",
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (value, label)
            for value, label in Consent.Source.choices
            if value in ("staff", "phone", "form", "portal")
        ],
        initial=Consent.Source.STAFF,
    )
    note = forms.CharField(label=_("Reason"), max_length=500)
