from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.core.bounds import BoundedFormMixin
from rapport.knowledge.models import Article


class ArticleForm(BoundedFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Simple formatting: # heading, **bold**, *italic*, - list, 1. steps, [link](https://…). "
            "HTML is removed."
        ),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=Article.Kind.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Article.Audience.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Article.Language.choices)
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False)
    products = forms.CharField(
        label=_("Applies to (products, models)"), max_length=200, required=False
    )
    review_on = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    translation = forms.IntegerField(
        label=_("Other language version (article number)"), required=False, min_value=1,
        max_value=2**63 - 1,
    )  # fmt: skip

    def clean_translation(self):
        pk = self.cleaned_data.get("translation")
        if not pk:
            return None
        article = Article.objects.filter(pk=pk).first()
        if article is None:
            raise forms.ValidationError(_("There is no article with this number."))
        return article


class ListFilterForm(BoundedFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All but archived")), *Article.State.choices],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All")), *Article.Kind.choices], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("All")), *Article.Language.choices], required=False
    )
    audience = forms.ChoiceField(
        label=_("Audience"), choices=[("", _("All")), *Article.Audience.choices], required=False
    )
    tag = forms.CharField(label=_("Tag"), max_length=40, required=False)


class TransitionForm(BoundedFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class HelpSearchForm(BoundedFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
