from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.assist.schemas import MAX_TEXT
from rapport.core.bounds import BoundedFormMixin

LANGUAGES = [("zh-hans", "zh-hans"), ("en", "en")]


class CoachCheckForm(BoundedFormMixin, forms.Form):
    text = forms.CharField(label=_("Draft"), max_length=MAX_TEXT, required=False, strip=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, required=False)

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or "zh-hans"


class PhrasePickForm(BoundedFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", ""), *LANGUAGES], required=False
    )
    customer = forms.IntegerField(label=_("Customer"), required=False, min_value=1, max_value=2**62)

    def customer_for(self, staff):
        """The customer whose name fills the phrase, if the representative may see them."""
        customer_id = self.cleaned_data.get("customer")
        if not customer_id:
            return None
        from rapport.core.errors import DomainError
        from rapport.customers.selectors import customer_get_for_staff

        try:
            return customer_get_for_staff(staff=staff, customer_id=customer_id)
        except DomainError:
            return None


class CoachReviewForm(BoundedFormMixin, forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[(7, _("Last 7 days")), (28, _("Last 4 weeks")), (91, _("Last 13 weeks"))],
        initial=28,
        required=False,
        empty_value=28,
    )
