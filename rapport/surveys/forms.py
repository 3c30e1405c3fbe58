"""Parsing input: the public answer form (built from the template's questions), the analysis
filters, campaigns and segments."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.core.bounds import BoundedFormMixin
from rapport.customers.models import Customer
from rapport.interactions.models import Interaction
from rapport.staff.models import Team, User
from rapport.surveys.analysis import Filters
from rapport.surveys.models import KanoAnswer, Question, SavedSegment, SurveyTemplate
from rapport.surveys.services import RANGES, AnswerInput
from rapport.tickets.models import TicketType

PAIR_SUFFIXES = {Question.Kind.SERVQUAL: ("e", "p"), Question.Kind.KANO: ("f", "d")}


def _scale(question: Question, low: int, high: int) -> forms.TypedChoiceField:
    labels = {
        str(o["value"]): label
        for o, (_v, label) in zip(question.options, question.option_items(), strict=False)
    }
    return forms.TypedChoiceField(
        choices=[(str(v), labels.get(str(v), str(v))) for v in range(low, high + 1)],
        coerce=int,
        required=question.required,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please answer this question."),
            "invalid_choice": _("Choose a value from %(low)s to %(high)s.")
            % {"low": low, "high": high},
        },
    )


class AnswerForm(BoundedFormMixin, forms.Form):
    """One field per question, two for a SERVQUAL or KANO pair; names are the question codes."""

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            for name, field in self._fields_for(q):
                self.fields[name] = field

    def _fields_for(self, q: Question):
        required = {"required": _("Please answer this question.")}
        if q.kind in PAIR_SUFFIXES:
            low, high = RANGES[q.kind]
            for suffix in PAIR_SUFFIXES[q.kind]:
                field = _scale(q, low, high)
                if q.kind == Question.Kind.KANO:
                    field.choices = [(str(v), label) for v, label in q.option_items()] or [
                        (str(c.value), c.label) for c in KanoAnswer
                    ]
                yield f"{q.code}_{suffix}", field
        elif q.kind in (Question.Kind.CSAT, Question.Kind.NPS):
            yield q.code, _scale(q, *RANGES[q.kind])
        elif q.kind == Question.Kind.SOLVED:
            yield (
                q.code,
                forms.TypedChoiceField(
                    choices=[("1", _("Yes")), ("0", _("No"))],
                    coerce=int,
                    required=q.required,
                    widget=forms.RadioSelect,
                    error_messages=required,
                ),
            )
        elif q.kind == Question.Kind.SINGLE:
            yield (
                q.code,
                forms.ChoiceField(
                    choices=q.option_items(),
                    required=q.required,
                    widget=forms.RadioSelect,
                    error_messages={
                        **required,
                        "invalid_choice": _("Choose from the options shown."),
                    },
                ),
            )
        elif q.kind in (Question.Kind.MULTIPLE, Question.Kind.TOUCHPOINT):
            yield (
                q.code,
                forms.MultipleChoiceField(
                    choices=q.option_items(),
                    required=q.required,
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={
                        **required,
                        "invalid_choice": _("Choose from the options shown."),
                    },
                ),
            )
        else:
            yield (
                q.code,
                forms.CharField(
                    required=q.required,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 4}),
                    error_messages={
                        **required,
                        "max_length": _("Please keep it under 2,000 characters."),
                    },
                ),
            )

    def add_question_error(self, code: str, message: str) -> None:
        """Put a service's error on the question's (first) field."""
        names = [n for n in self.fields if n == code or n.rsplit("_", 1)[0] == code]
        self.add_error(names[0] if names else None, message)

    def rows(self) -> list[dict]:
        """The questions with their bound fields and errors, for the template."""
        out = []
        for number, q in enumerate(self.questions, start=1):
            names = [f"{q.code}_{s}" for s in PAIR_SUFFIXES.get(q.kind, ())] or [q.code]
            fields = [self[name] for name in names]
            errors = list(dict.fromkeys(e for f in fields for e in f.errors))
            out.append({"number": number, "question": q, "fields": fields, "errors": errors})
        return out

    def answers(self) -> list[AnswerInput]:
        data = self.cleaned_data
        out = []
        for q in self.questions:
            if q.kind in PAIR_SUFFIXES:
                first, second = (data.get(f"{q.code}_{s}") for s in PAIR_SUFFIXES[q.kind])
                if first is not None or second is not None:
                    out.append(AnswerInput(question=q, value=first, value_b=second))
            elif q.kind in (Question.Kind.CSAT, Question.Kind.NPS, Question.Kind.SOLVED):
                if data.get(q.code) not in (None, ""):
                    out.append(AnswerInput(question=q, value=data[q.code]))
            elif q.kind == Question.Kind.SINGLE:
                if data.get(q.code):
                    out.append(AnswerInput(question=q, choices=[data[q.code]]))
            elif q.kind in (Question.Kind.MULTIPLE, Question.Kind.TOUCHPOINT):
                if data.get(q.code):
                    out.append(AnswerInput(question=q, choices=list(data[q.code])))
            elif (data.get(q.code) or "").strip():
                out.append(AnswerInput(question=q, text=data[q.code]))
        return out

    @classmethod
    def initial_from(cls, response) -> dict:
        """The stored answers as initial values, so a customer edits what they gave."""
        initial: dict = {}
        for a in response.answers.all():
            q = a.question
            if q.kind in PAIR_SUFFIXES:
                first, second = PAIR_SUFFIXES[q.kind]
                initial[f"{q.code}_{first}"], initial[f"{q.code}_{second}"] = a.value, a.value_b
            elif q.kind == Question.Kind.SINGLE:
                initial[q.code] = a.choices[0] if a.choices else None
            elif q.kind in (Question.Kind.MULTIPLE, Question.Kind.TOUCHPOINT):
                initial[q.code] = a.choices
            elif q.kind == Question.Kind.TEXT:
                initial[q.code] = a.text
            else:
                initial[q.code] = a.value
        return initial


class AnalysisFilterForm(BoundedFormMixin, forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"), queryset=User.objects.none(), required=False, empty_label=_("Everyone")
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *Interaction.Channel.choices],
    )
    ticket_type = forms.ChoiceField(label=_("Ticket type"), required=False)
    tier = forms.ChoiceField(
        label=_("Customer tier"),
        required=False,
        choices=[("", _("All tiers")), *Customer.Tier.choices],
    )
    template = forms.ChoiceField(label=_("Questionnaire"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")
        self.fields["agent"].queryset = User.objects.filter(is_active=True).order_by(
            "display_name", "username"
        )
        self.fields["ticket_type"].choices = [("", _("All types"))] + [
            (t.code, str(t)) for t in TicketType.objects.filter(parent__isnull=True, is_active=True)
        ]
        self.fields["template"].choices = [("", _("All questionnaires"))] + [
            (t.code, t.name) for t in SurveyTemplate.objects.order_by("id")
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end cannot be before the start."))
        return data

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        d = self.cleaned_data
        return Filters(
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            team_id=d["team"].pk if d.get("team") else None,
            agent_id=d["agent"].pk if d.get("agent") else None,
            channel=d.get("channel") or "",
            ticket_type=(d.get("ticket_type") or "").strip(),
            tier=d.get("tier") or "",
            template=d.get("template") or "",
        )


class SegmentForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = SavedSegment
        fields = ["name", "tier", "stage", "tag"]
        widgets = {
            "tier": forms.Select(choices=[("", _("Any tier")), *Customer.Tier.choices]),
            "stage": forms.Select(choices=[("", _("Any stage")), *Customer.Stage.choices]),
        }


class CampaignForm(BoundedFormMixin, forms.Form):
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=SavedSegment.objects.none(), empty_label=_("Choose a segment")
    )
    template = forms.ModelChoiceField(
        label=_("Questionnaire"),
        queryset=SurveyTemplate.objects.none(),
        empty_label=_("Choose a questionnaire"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = SavedSegment.objects.order_by("name")
        self.fields["template"].queryset = SurveyTemplate.objects.filter(is_active=True).order_by(
            "id"
        )
