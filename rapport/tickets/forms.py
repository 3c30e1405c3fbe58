"""Parsing input for the ticket pages. Forms parse; services decide and save."""

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.bounds import (
    DUE_AHEAD,
    BoundedDateField,
    BoundedDateTimeField,
    BoundedFormMixin,
)
from rapport.interactions.forms import DateTimeLocalInput, StaffChoiceField
from rapport.tickets import selectors
from rapport.tickets.models import (
    MAX_COMPENSATION,
    Impact,
    ImprovementAction,
    Priority,
    Remedy,
    Ticket,
    TicketType,
)
from rapport.tickets.services import REPLY_CHANNELS, UploadedFile

FORM_TOKEN_SALT = "rapport.tickets.public-form"
FORM_TOKEN_MAX_AGE = 24 * 3600


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; size and type are checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.webp,.pdf"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def uploads(files) -> list[UploadedFile]:
    return [UploadedFile(name=f.name, file=f, size=f.size) for f in files or []]


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketType) -> str:
        return f"— {obj}" if obj.parent_id else str(obj)


class TicketCreateForm(BoundedFormMixin, forms.Form):
    """Intake by staff: the complete record the process asks for (接收与记录)."""

    kind = forms.ChoiceField(
        label=pgettext_lazy("ticket", "Kind"), choices=Ticket.Kind.choices, initial="complaint"
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=120, required=False, help_text=_("Optional: a short title")
    )
    description = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    customer_words = forms.CharField(
        label=_("The customer's own words (顾客原话)"),
        max_length=4000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Exactly as the customer said it. It cannot be edited later."),
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    occurred_at = forms.DateTimeField(label=_("When it happened"), widget=DateTimeLocalInput())
    occurred_where = forms.CharField(label=_("Where it happened"), max_length=200)
    asset = forms.ModelChoiceField(label=_("Asset"), queryset=None, required=False, empty_label="—")
    attachments = MultipleFileField(label=_("Photos or documents"))

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = customer.assets.all() if customer else None


class PublicTicketForm(BoundedFormMixin, forms.Form):
    """The public form: what a customer can tell us without an account."""

    kind = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=[
            ("complaint", _("Make a complaint")),
            ("service_request", _("Request a service")),
            ("inquiry", _("Ask a question")),
        ],
        initial="complaint",
    )
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    customer_words = forms.CharField(
        label=_("Tell us what happened, in your own words"),
        max_length=4000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    occurred_at = forms.DateTimeField(label=_("When did it happen?"), widget=DateTimeLocalInput())
    occurred_where = forms.CharField(
        label=_("Where did it happen?"),
        max_length=200,
        help_text=_("e.g. the service centre on Jianguo Road, on the phone, at home"),
    )
    attachments = MultipleFileField(label=_("Photos or documents (optional)"))
    form_token = forms.CharField(widget=forms.HiddenInput)
    # Left empty by people; filled by bots that fill every field.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    def clean_form_token(self) -> str:
        try:
            data = signing.loads(
                self.cleaned_data["form_token"], salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE
            )
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("This form has expired. Please reload the page and send it again.")
            ) from exc
        return str(data["n"])

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError(_("Please leave the last field empty."))
        if not (data.get("phone") or data.get("email")) and not self.errors.get("email"):
            self.add_error("phone", _("Give a phone number or an e-mail address so we can reply."))
        return data


def new_form_token() -> str:
    import uuid

    return signing.dumps({"n": uuid.uuid4().hex}, salt=FORM_TOKEN_SALT)


class PublicAnswerForm(BoundedFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class QueueFilterForm(BoundedFormMixin, forms.Form):
    queue = forms.ChoiceField(
        label=_("Queue"),
        required=False,
        choices=[
            ("mine", _("My tickets")),
            ("owned", _("Owned by me")),
            ("team", _("My team's")),
            ("investigating", _("To investigate")),
            ("unassigned", _("Unassigned")),
            ("waiting", _("Waiting")),
            ("all", _("All open")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", pgettext_lazy("ticket status", "Open")), *Ticket.Status.choices],
    )
    kind = forms.ChoiceField(
        label=pgettext_lazy("ticket", "Kind"),
        required=False,
        choices=[("", _("Any kind")), *Ticket.Kind.choices],
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any priority")), *Priority.choices],
    )
    impact = forms.ChoiceField(
        label=_("Impact"), required=False, choices=[("", _("Any impact")), *Impact.choices]
    )
    ticket_type = forms.TypedChoiceField(
        label=_("Type"), required=False, coerce=int, empty_value=None, choices=[]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("priority", _("Priority")),
            ("due", _("Time left")),
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("updated", _("Recently updated")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ticket_type"].choices = [("", _("Any type"))] + [
            (t.pk, f"— {t}" if t.parent_id else str(t)) for t in selectors.ticket_type_choices()
        ]


# -- One form per action of the table -----------------------------------------------------------


class ActionForm(BoundedFormMixin, forms.Form):
    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket


class TransitionForm(ActionForm):
    note = forms.CharField(label=_("Note (optional)"), max_length=1000, required=False)


class ClassifyForm(TransitionForm):
    kind = forms.ChoiceField(label=pgettext_lazy("ticket", "Kind"), choices=Ticket.Kind.choices)
    ticket_type = TypeChoiceField(label=_("Type"), queryset=TicketType.objects.none())
    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices, initial="normal")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ticket_type"].queryset = TicketType.objects.filter(is_active=True)
        self.fields["ticket_type"].choices = [("", "—")] + [
            (t.pk, f"— {t}" if t.parent_id else str(t)) for t in selectors.ticket_type_choices()
        ]
        if self.ticket is not None:
            self.fields["kind"].initial = self.ticket.kind


class WaitForm(TransitionForm):
    waiting_on = forms.ChoiceField(
        label=_("Waiting on"),
        choices=[("customer", _("The customer")), ("third_party", _("A third party"))],
    )
    reason = forms.CharField(label=_("What for"), max_length=300)


class ResolveForm(TransitionForm):
    resolution = forms.CharField(
        label=_("How it was resolved"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    root_cause = forms.CharField(
        label=_("Root cause"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for the follow-up of an unhappy survey answer."),
    )


class CloseForm(TransitionForm):
    satisfaction = forms.ChoiceField(
        label=_("Did the customer confirm they are satisfied?"),
        choices=[
            ("yes", _("Yes, confirmed")),
            ("no", _("No, not satisfied")),
            ("no_answer", _("No answer")),
        ],
        widget=forms.RadioSelect,
    )


class ReasonForm(TransitionForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class NoteForm(ActionForm):
    body = forms.CharField(
        label=_("Internal note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReplyForm(ActionForm):
    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 8, "data-coach": "ticket"}),
    )
    channel = forms.ChoiceField(
        label=_("Told by"),
        choices=[
            (c, label)
            for c, label in [
                ("phone", _("Phone")),
                ("auto", _("Send on the customer's channel (automatic)")),
                ("email", _("E-mail")),
                ("sms", _("SMS")),
                ("wechat", _("WeChat")),
                ("face_to_face", _("Face to face")),
                ("letter", _("Letter")),
            ]
            if c in REPLY_CHANNELS
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket is not None:  # the phrase picker fills in the customer's name
            self.fields["body"].widget.attrs["data-customer"] = self.ticket.customer_id


class AssignForm(ActionForm):
    to_staff = StaffChoiceField(label=_("Assign to"), queryset=selectors.work_staff())
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)


class EscalateForm(ActionForm):
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)


class PrioritiseForm(ActionForm):
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class UpsetForm(ActionForm):
    upset = forms.BooleanField(label=_("Customer upset"), required=False)


class CannotMeetForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Why it cannot be met"),
        choices=[
            ("technical", _("Technical: explain why")),
            ("resources", _("Resources: ask the supervisor")),
        ],
    )
    note = forms.CharField(label=_("Explanation"), max_length=500)


class PartnerForm(ActionForm):
    partner_name = forms.CharField(label=_("Partner"), max_length=100)
    partner_contact = forms.CharField(label=_("Contact given to the customer"), max_length=200)


class AttachForm(ActionForm):
    attachments = MultipleFileField(label=_("Photos or documents"), required=True)


class InvestigateForm(ActionForm):
    team = forms.ModelChoiceField(label=_("Department"), queryset=selectors.investigation_teams())
    question = forms.CharField(label=_("What to find out"), max_length=500)
    due_at = BoundedDateTimeField(
        label=_("Due"), widget=DateTimeLocalInput(), latest_ahead=DUE_AHEAD
    )


class AnswerInvestigationForm(ActionForm):
    investigation = forms.IntegerField(widget=forms.HiddenInput)
    finding = forms.CharField(
        label=_("Finding"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RemedyForm(ActionForm):
    kind = forms.ChoiceField(label=_("Remedy"), choices=Remedy.Kind.choices)
    # Bounds are checked by the service so the message names the limit; the widget hints them.
    amount = forms.DecimalField(
        label=_("Amount (¥)"),
        required=False,
        max_digits=14,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"min": "0", "max": str(MAX_COMPENSATION), "step": "0.01"}),
    )
    description = forms.CharField(label=_("Details"), max_length=500, required=False)
    needs_resources = forms.BooleanField(label=_("Needs resources"), required=False)


class ChooseRemedyForm(ActionForm):
    remedy = forms.IntegerField(widget=forms.HiddenInput)


class DecideRemedyForm(ActionForm):
    remedy = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class ImproveForm(ActionForm):
    kind = forms.ChoiceField(
        label=pgettext_lazy("ticket", "Kind"), choices=ImprovementAction.Kind.choices
    )
    description = forms.CharField(label=_("What will change"), max_length=500)
    owner = StaffChoiceField(label=_("Owner"), queryset=selectors.work_staff())
    due_on = BoundedDateField(
        label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}), latest_ahead=DUE_AHEAD
    )


class ArchiveForm(ActionForm):
    problem = forms.CharField(
        label=_("Problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    cause = forms.CharField(
        label=_("Cause"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    remedy = forms.CharField(
        label=_("Remedy"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EditForm(ActionForm):
    """Correct the intake record; the customer's own words are not among the fields."""

    subject = forms.CharField(label=_("Subject"), max_length=120)
    description = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    occurred_at = forms.DateTimeField(label=_("When it happened"), widget=DateTimeLocalInput())
    occurred_where = forms.CharField(label=_("Where it happened"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket is not None and not self.is_bound:
            for name in self.fields:
                self.fields[name].initial = getattr(self.ticket, name)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "classify": ClassifyForm,
    "start": ActionForm,  # one click: nothing to fill in to start work
    "wait": WaitForm,
    "resume": TransitionForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "reopen": ReasonForm,
    "note": NoteForm,
    "reply": ReplyForm,
    "assign": AssignForm,
    "escalate": EscalateForm,
    "prioritise": PrioritiseForm,
    "flag_upset": UpsetForm,
    "cannot_meet": CannotMeetForm,
    "partner": PartnerForm,
    "attach": AttachForm,
    "investigate": InvestigateForm,
    "answer_investigation": AnswerInvestigationForm,
    "offer_remedy": RemedyForm,
    "choose_remedy": ChooseRemedyForm,
    "decide_remedy": DecideRemedyForm,
    "improve": ImproveForm,
    "archive": ArchiveForm,
    "edit": EditForm,
}
# Actions whose form has nothing to fill in: a button, always on the page. The others' forms are
# built when their panel is opened (ticket_action_form), except the reply the page is for.
ONE_CLICK = frozenset(
    name
    for name, form in ACTION_FORMS.items()
    if all(field.widget.is_hidden for field in form.base_fields.values())
)
EAGER = frozenset({"reply"})
# Fields the in-place services take besides ticket and by (the transitions take `note`).
SERVICE_FIELDS = {
    "note": ("body",),
    "reply": ("body", "channel"),
    "assign": ("to_staff", "reason"),
    "escalate": ("reason",),
    "prioritise": ("priority", "reason"),
    "flag_upset": ("upset",),
    "cannot_meet": ("reason", "note"),
    "partner": ("partner_name", "partner_contact"),
    "investigate": ("team", "question", "due_at"),
    "offer_remedy": ("kind", "amount", "description", "needs_resources"),
    "improve": ("kind", "description", "owner", "due_on"),
    "archive": ("problem", "cause", "remedy"),
    "edit": (
        "subject",
        "description",
        "contact_name",
        "contact_phone",
        "contact_email",
        "occurred_at",
        "occurred_where",
    ),
}


def default_occurred_at():
    return timezone.localtime().replace(second=0, microsecond=0)
