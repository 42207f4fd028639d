from django import forms

from chapters.models import Chapter, Classification
from members.models import Membership


class ChapterSettingsForm(forms.ModelForm):
    class Meta:
        model = Chapter
        fields = [
            "name", "timezone", "cadence", "weekday", "start_time", "duration_minutes",
            "venue", "meal", "currency", "membership_fee",
        ]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class InvitationForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False, label="Name")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    classification = forms.ModelChoiceField(
        queryset=Classification.objects.none(), required=False,
        help_text="Only classifications nobody holds in the chapter are offered.",
    )

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        from chapters.selectors import chapter_open_classifications

        self.fields["classification"].queryset = chapter_open_classifications(chapter=chapter)


class MembershipChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
    status = forms.ChoiceField(choices=Membership.Status.choices)
    classification = forms.ModelChoiceField(queryset=Classification.objects.all(), required=False)
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the status changes; the member sees it.",
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        kwargs.setdefault(
            "initial",
            {"role": membership.role, "status": membership.status, "classification": membership.classification},
        )
        super().__init__(*args, **kwargs)
        self.membership = membership

    def clean(self):
        data = super().clean()
        if data.get("status") and data["status"] != self.membership.status and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the status changes; the member and the audit trail see it.")
        return data
