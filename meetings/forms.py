from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from chapters.models import Classification
from leadsgroups.formats import format_date, format_datetime
from leadsgroups.single_line import SingleLineFormMixin
from meetings.models import Attendance, ChapterMeetingSettings, Meeting, Presentation, Visitor
from members.models import Membership

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _seated(chapter):
    return (
        Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class MeetingTimeForm(SingleLineFormMixin, forms.Form):
    """Date, time and venue of a moved or one-off meeting (local to the chapter)."""

    local_date = forms.DateField(label=_("Date"), widget=DATE)
    local_time = forms.TimeField(label=_("Start time"), widget=TIME)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)

    def clean_local_date(self):
        value = self.cleaned_data["local_date"]
        if value < date.today() - timedelta(days=1):
            raise forms.ValidationError(_("Choose today or a later date."), code="past")
        return value


class CancelForm(SingleLineFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"placeholder": _("e.g. Bank holiday")}),
        help_text=_("Members see why the meeting is not taking place."),
    )

    def __init__(self, *args, booked=(), next_meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        if booked and next_meeting is not None:  # a run sheet to carry over, and somewhere to carry it
            self.fields["move_presentations"] = forms.BooleanField(
                required=False, initial=True,
                label=gettext("Move them to the next meeting, %(date)s") % {
                    "date": format_date(next_meeting.local_date, "MMMMEEEEd")},
                help_text=gettext("Each presenter is told either way; the audit trail keeps what moved."),
            )


class ReinstateForm(SingleLineFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False,
        help_text=_("Required once the meeting is over: members were told it was cancelled."),
    )


class MarkForm(SingleLineFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Mark"), choices=Attendance.Status.choices)
    substitute_name = forms.CharField(label=_("Substitute's name"), max_length=150, required=False)
    substitute_business = forms.CharField(label=_("Substitute's business"), max_length=150, required=False)

    def clean(self):
        data = super().clean()
        # A name the field itself refused (too long) has its own error already: no second, wrong one.
        if (data.get("status") == Attendance.Status.SUBSTITUTE and "substitute_name" not in self.errors
                and not (data.get("substitute_name") or "").strip()):
            self.add_error("substitute_name", forms.ValidationError(_("Enter the substitute's name."), code="required"))
        return data


class CorrectionForm(MarkForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required: the audit trail keeps who changed what, when and why."),
        error_messages={"required": _("Say why the mark is corrected; the audit trail keeps it.")},
    )

    def clean(self):
        data = super().clean()
        # A missing reason showed "This field is required." under "Required: …": one message says it.
        if "reason" in self.errors:
            self["reason"].help_text = ""
        return data


class VisitorForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = Visitor
        fields = ["name", "business", "classification", "email", "phone", "invited_by", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classification"].queryset = Classification.objects.order_by("name")
        self.fields["invited_by"] = MemberChoiceField(
            queryset=_seated(chapter), required=False, label=_("Invited by"),
            help_text=_("The member credited with the visit."),
        )


class FollowUpForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = Visitor
        # email and phone too: a visitor recorded without them gets them here, and converting to an
        # applicant needs the email
        fields = ["follow_up", "email", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class PresentationForm(SingleLineFormMixin, forms.Form):
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=Meeting.objects.none())
    presenter = MemberChoiceField(label=_("Presenter"), queryset=Membership.objects.none())
    kind = forms.ChoiceField(label=_("Slot"), choices=Presentation.Kind.choices, initial=Presentation.Kind.FEATURE)
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.chapter = chapter
        cutoff = timezone.now() - timedelta(hours=3)
        self.fields["meeting"].queryset = (
            Meeting.objects.filter(chapter=chapter, starts_at__gte=cutoff)
            .exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.CLOSED])
            .order_by("starts_at")
        )
        self.fields["meeting"].label_from_instance = (
            lambda m: format_datetime(m.starts_at, "yMMMEd", tz=chapter.tz)
        )
        self.fields["presenter"].queryset = _seated(chapter)


class TestimonialForm(forms.Form):
    given_by = MemberChoiceField(queryset=Membership.objects.none(), label=_("Given by"))
    about = MemberChoiceField(queryset=Membership.objects.none(), label=_("About"))
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = _seated(chapter)
        self.fields["about"].queryset = _seated(chapter)

    def clean(self):
        data = super().clean()
        if data.get("given_by") and data.get("given_by") == data.get("about"):
            self.add_error("about", forms.ValidationError(_("A testimonial is about another member."), code="self"))
        return data


class ReportRangeForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "From"), widget=DATE)
    end = forms.DateField(label=pgettext_lazy("date range", "To"), widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", forms.ValidationError(_("The end comes after the start."), code="order"))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 800:
            self.add_error("start", forms.ValidationError(_("Choose at most two years."), code="too_long"))
        return data


class MeetingSettingsForm(forms.ModelForm):
    class Meta:
        model = ChapterMeetingSettings
        fields = ["max_visits_before_applying"]
