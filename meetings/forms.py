from datetime import date, timedelta

from django import forms
from django.utils import timezone

from chapters.models import Classification
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

    local_date = forms.DateField(label="Date", widget=DATE)
    local_time = forms.TimeField(label="Start time", widget=TIME)
    venue = forms.CharField(max_length=200, required=False)

    def clean_local_date(self):
        value = self.cleaned_data["local_date"]
        if value < date.today() - timedelta(days=1):
            raise forms.ValidationError("Choose today or a later date.")
        return value


class CancelForm(SingleLineFormMixin, forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.TextInput(attrs={"placeholder": "e.g. Bank holiday"}),
        help_text="Members see why the meeting is not taking place.",
    )

    def __init__(self, *args, booked=(), next_meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        if booked and next_meeting is not None:  # a run sheet to carry over, and somewhere to carry it
            self.fields["move_presentations"] = forms.BooleanField(
                required=False, initial=True,
                label=f"Move them to the next meeting, {next_meeting.local_date:%A %d %B}",
                help_text="Each presenter is told either way; the audit trail keeps what moved.",
            )


class ReinstateForm(SingleLineFormMixin, forms.Form):
    reason = forms.CharField(
        max_length=300, required=False,
        help_text="Required once the meeting is over: members were told it was cancelled.",
    )


class MarkForm(SingleLineFormMixin, forms.Form):
    status = forms.ChoiceField(choices=Attendance.Status.choices)
    substitute_name = forms.CharField(max_length=150, required=False)
    substitute_business = forms.CharField(max_length=150, required=False)

    def clean(self):
        data = super().clean()
        # A name the field itself refused (too long) has its own error already: no second, wrong one.
        if (data.get("status") == Attendance.Status.SUBSTITUTE and "substitute_name" not in self.errors
                and not (data.get("substitute_name") or "").strip()):
            self.add_error("substitute_name", "Enter the substitute's name.")
        return data


class CorrectionForm(MarkForm):
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required: the audit trail keeps who changed what, when and why.",
    )


class VisitorForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = Visitor
        fields = ["name", "business", "classification", "email", "phone", "invited_by", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classification"].queryset = Classification.objects.order_by("name")
        self.fields["invited_by"] = MemberChoiceField(
            queryset=_seated(chapter), required=False, label="Invited by",
            help_text="The member credited with the visit.",
        )


class FollowUpForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = Visitor
        # email and phone too: a visitor recorded without them gets them here, and converting to an
        # applicant needs the email
        fields = ["follow_up", "email", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class PresentationForm(SingleLineFormMixin, forms.Form):
    meeting = forms.ModelChoiceField(queryset=Meeting.objects.none())
    presenter = MemberChoiceField(queryset=Membership.objects.none())
    kind = forms.ChoiceField(choices=Presentation.Kind.choices, initial=Presentation.Kind.FEATURE)
    topic = forms.CharField(max_length=200, required=False)

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
            lambda m: f"{m.starts_at.astimezone(chapter.tz):%a %d %b %Y, %H:%M}"
        )
        self.fields["presenter"].queryset = _seated(chapter)


class TestimonialForm(forms.Form):
    given_by = MemberChoiceField(queryset=Membership.objects.none(), label="Given by")
    about = MemberChoiceField(queryset=Membership.objects.none(), label="About")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = _seated(chapter)
        self.fields["about"].queryset = _seated(chapter)

    def clean(self):
        data = super().clean()
        if data.get("given_by") and data.get("given_by") == data.get("about"):
            self.add_error("about", "A testimonial is about another member.")
        return data


class ReportRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To", widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end comes after the start.")
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 800:
            self.add_error("start", "Choose at most two years.")
        return data


class MeetingSettingsForm(forms.ModelForm):
    class Meta:
        model = ChapterMeetingSettings
        fields = ["max_visits_before_applying"]
