import zoneinfo

from django import forms

from chapters.models import Chapter, Classification
from chapters.timezones import timezone_choices
from leadsgroups.single_line import SingleLineFormMixin
from members.models import Membership


class ChapterSettingsForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = Chapter
        fields = [
            "name", "timezone", "cadence", "weekday", "start_time", "duration_minutes",
            "venue", "meal", "currency", "membership_fee",
        ]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A list to pick from, not a box where "Europe/London" must be typed exactly. The model's
        # validator still refuses anything else, so a forged value gets its error.
        # Grouped by region, the chapter's likely zones first (issue 17): ~600 zones in one list were
        # too many to scroll.
        current = self.initial.get("timezone") or self.instance.timezone
        choices = timezone_choices(current, self._neighbours())
        if current and current not in zoneinfo.available_timezones():
            choices.insert(0, (current, current))
        self.fields["timezone"].widget = forms.Select(choices=choices)
        self.fields["timezone"].help_text = "Meetings, deadlines and rule periods are in this zone."

    def _neighbours(self) -> set[str]:
        chapter = self.instance
        if chapter.pk is None or chapter.region_id is None:
            return set()
        return set(Chapter.objects.filter(region_id=chapter.region_id).values_list("timezone", flat=True))


class InvitationForm(SingleLineFormMixin, forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False, label="Name")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    classification = forms.ModelChoiceField(
        queryset=Classification.objects.none(), required=False,
        help_text="Only classifications nobody holds in the chapter, nor is invited into, are offered.",
    )

    def __init__(self, *args, chapter, can_appoint: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from chapters.selectors import chapter_free_classifications, chapter_open_classifications

        field = self.fields["classification"]
        # Offered: the open ones. Accepted: any no member holds, so that one a pending invitation
        # took meanwhile (another leader's) gets the service's message naming that invitation.
        field.queryset = chapter_free_classifications(chapter=chapter)
        field.choices = [("", field.empty_label)] + [
            (c.pk, field.label_from_instance(c)) for c in chapter_open_classifications(chapter=chapter)
        ]
        if not can_appoint:  # officers are appointed by the president or an admin
            self.fields["role"].choices = [(Membership.Role.MEMBER, Membership.Role.MEMBER.label)]
            self.fields["role"].help_text = "Only the president or an admin invites officers."


class MembershipChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
    status = forms.ChoiceField(choices=Membership.Status.choices)
    classification = forms.ModelChoiceField(queryset=Classification.objects.all(), required=False)
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the status changes; the member sees it.",
    )

    def __init__(self, *args, membership: Membership, can_appoint: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {"role": membership.role, "status": membership.status, "classification": membership.classification},
        )
        super().__init__(*args, **kwargs)
        self.membership = membership
        if not can_appoint:  # the role stays as it is: the president or an admin appoints officers
            self.fields["role"].disabled = True
            self.fields["role"].help_text = "Only the president or an admin changes roles."
        else:
            self.fields["role"].help_text = "Making someone president hands the presidency over: the current president becomes a member."

    def clean(self):
        data = super().clean()
        if data.get("status") and data["status"] != self.membership.status and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the status changes; the member and the audit trail see it.")
        return data
