import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter, Classification
from chapters.timezones import timezone_choices
from leadsgroups import formats
from leadsgroups.single_line import SingleLineFormMixin
from members.models import Membership


def currency_choices() -> list[tuple[str, str]]:
    """The currencies in use (ISO 4217), as "EUR – Euro" in the reader's language."""
    return [(code, f"{code} – {formats.currency_name(code)}") for code in sorted(formats.current_currencies())]


class ChapterSettingsForm(SingleLineFormMixin, forms.ModelForm):
    class Meta:
        model = Chapter
        fields = [
            "name", "timezone", "cadence", "weekday", "start_time", "duration_minutes",
            "venue", "meal", "language", "currency", "membership_fee",
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
        self.fields["timezone"].help_text = _("Meetings, deadlines and rule periods are in this zone.")
        # The same for the currency: the model's validator (ISO 4217, in use) answers anything else.
        currencies = currency_choices()
        current = self.initial.get("currency") or self.instance.currency
        if current and current not in dict(currencies):
            currencies.insert(0, (current, current))
        self.fields["currency"].widget = forms.Select(choices=currencies)
        self.fields["currency"].help_text = _("Fines, fees and referral values are in this currency.")
        # A form sent without the language (an older page) keeps the chapter's.
        self.fields["language"].required = False

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language

    def _neighbours(self) -> set[str]:
        chapter = self.instance
        if chapter.pk is None or chapter.region_id is None:
            return set()
        return set(Chapter.objects.filter(region_id=chapter.region_id).values_list("timezone", flat=True))


class InvitationForm(SingleLineFormMixin, forms.Form):
    email = forms.EmailField(label=_("Email address"))
    full_name = forms.CharField(max_length=150, required=False, label=_("Name"))
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER, label=_("Role"))
    classification = forms.ModelChoiceField(
        queryset=Classification.objects.none(), required=False, label=_("Classification"),
        help_text=_("Only classifications nobody holds in the chapter, nor is invited into, are offered."),
    )

    def __init__(self, *args, chapter, can_appoint: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from chapters.selectors import chapter_free_classifications, chapter_open_classifications

        field = self.fields["classification"]
        # Offered: the open ones. Accepted: any no member holds, so that one a pending invitation
        # took meanwhile (another leader's) gets the service's message naming that invitation.
        field.queryset = chapter_free_classifications(chapter=chapter)
        field.choices = [("", field.empty_label)] + sorted(
            ((c.pk, field.label_from_instance(c)) for c in chapter_open_classifications(chapter=chapter)),
            key=lambda choice: choice[1].casefold(),  # by the name as the reader reads it
        )
        if not can_appoint:  # officers are appointed by the president or an admin
            self.fields["role"].choices = [(Membership.Role.MEMBER, Membership.Role.MEMBER.label)]
            self.fields["role"].help_text = _("Only the president or an admin invites officers.")


class MembershipChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices, label=_("Role"))
    status = forms.ChoiceField(choices=Membership.Status.choices, label=_("Status"))
    classification = forms.ModelChoiceField(
        queryset=Classification.objects.all(), required=False, label=_("Classification")
    )
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"),
        help_text=_("Required when the status changes; the member sees it."),
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
            self.fields["role"].help_text = _("Only the president or an admin changes roles.")
        else:
            self.fields["role"].help_text = _(
                "Making someone president hands the presidency over: the current president becomes a member."
            )

    def clean(self):
        data = super().clean()
        if data.get("status") and data["status"] != self.membership.status and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the status changes; the member and the audit trail see it."))
        return data
