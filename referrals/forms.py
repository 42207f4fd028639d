import re
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from leadsgroups.formats import format_number
from leadsgroups.single_line import SingleLineFormMixin
from members.models import Membership
from referrals.models import MAX_CLOSED_VALUE, TEMPERATURE_MEANINGS, Referral

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")
NOTES_MAX = 2000


# Report periods stay within dates the app can do arithmetic on (9999-12-31 + 1 day overflows).
PERIOD_BOUNDS = [MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2100, 12, 31))]
# How far back a one-to-one or an education credit may be recorded.
BACKDATE_LIMIT = timedelta(days=365)


def _not_long_ago(value: date) -> date:
    if value < date.today() - BACKDATE_LIMIT:
        raise forms.ValidationError(
            _("That is more than a year ago: record only what happened in the last year."), code="too_long_ago"
        )
    return value


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> expects


def member_label(m: Membership) -> str:
    classification = f" — {m.classification.name}" if m.classification_id else ""
    return f"{m.display_name}{classification}"


class ReceiverField(forms.CharField):
    """A member picked by typing a name or classification (with a datalist), or by id from a plain select."""

    def __init__(self, *, candidates, **kwargs):
        self.candidates = list(candidates)
        self.unavailable = []  # members on leave: named in the error instead of "no one matches"
        self.giver = None  # the person logging the referral: named in the error when they pick themselves
        super().__init__(max_length=200, **kwargs)

    def _is_giver(self, value: str) -> bool:
        me = self.giver
        if me is None:
            return False
        if value.isdigit():
            return me.pk == int(value)
        typed = value.casefold()
        if any(member_label(m).casefold() == typed for m in self.candidates):
            return False  # another member of the same name, told apart by classification
        return typed in (member_label(me).casefold(), me.display_name.casefold())

    def clean(self, value):
        value = super().clean(value).strip()
        if self._is_giver(value):
            raise forms.ValidationError(
                _("That is you: a referral goes to another member. Choose who should receive it."), code="self"
            )
        if value.isdigit():
            for m in self.candidates:
                if m.pk == int(value):
                    return m
            raise forms.ValidationError(_("Choose an active member of this chapter (not yourself)."), code="invalid")
        exact = [m for m in self.candidates if member_label(m).casefold() == value.casefold()]
        if len(exact) == 1:
            return exact[0]
        needle = value.casefold()
        found = [
            m
            for m in self.candidates
            if needle in m.display_name.casefold()
            or (m.classification_id and needle in m.classification.name.casefold())
        ]
        if len(found) == 1:
            return found[0]
        if not found:
            away = [m for m in self.unavailable if needle in m.display_name.casefold()]
            if len(away) == 1:
                raise forms.ValidationError(
                    _("%(name)s is on leave: pass the referral when they are back."),
                    code="on_leave", params={"name": away[0].display_name},
                )
            raise forms.ValidationError(
                _("No active member of this chapter matches that (you cannot pass a referral to yourself)."),
                code="no_match",
            )
        names = ", ".join(member_label(m) for m in found[:5])
        raise forms.ValidationError(
            _("Several members match: %(names)s. Type more of the name."), code="ambiguous", params={"names": names}
        )


class ReferralForm(SingleLineFormMixin, forms.Form):
    receiver = ReceiverField(
        candidates=[],
        label=pgettext_lazy("the member who receives a referral", "To"),
        help_text=gettext_lazy("Type a name or a classification, then pick from the list."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        # The giver fills the form: in their words, "from me"; everywhere else it is "the giver's own".
        choices=[
            (Referral.Kind.INSIDE, gettext_lazy("Inside (business from me)")),
            (Referral.Kind.OUTSIDE, Referral.Kind.OUTSIDE.label),
        ],
        widget=forms.RadioSelect, initial=Referral.Kind.OUTSIDE,
    )
    prospect_name = forms.CharField(label=gettext_lazy("Prospect's name"), max_length=150, required=False)
    prospect_phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=40,
        required=False,
        # A tel input brings up the phone keypad (attrs={"type": ...} would print a second type).
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    prospect_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    consent = forms.ChoiceField(
        label=gettext_lazy("Did the prospect agree to be contacted?"),
        choices=[
            (Referral.Consent.STATED, gettext_lazy("Yes, they agreed")),
            (Referral.Consent.NOT_ASKED, gettext_lazy("Not asked")),
        ],
        widget=forms.RadioSelect,
        required=False,
        help_text=gettext_lazy("Be honest: consented referrals count for more."),
    )
    temperature = forms.TypedChoiceField(
        # lazy: each reader gets the meanings in their language, not the one active at import
        choices=[(k, format_lazy("{} — {}", k, v)) for k, v in TEMPERATURE_MEANINGS.items()],
        coerce=int,
        widget=forms.RadioSelect,
        initial=3,
        label=gettext_lazy("Temperature"),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=NOTES_MAX,
    )

    def __init__(self, *args, candidates, unavailable=(), giver=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        field = self.fields["receiver"]
        field.candidates = self.candidates
        field.unavailable = list(unavailable)
        field.giver = giver
        field.widget.attrs.update({"list": "receiver-options", "autocomplete": "off", "autofocus": True})
        self.fields["prospect_phone"].widget.input_type = "tel"
        self.fields["prospect_email"].widget.attrs.update({"autocomplete": "off"})
        self.fields["notes"].help_text = _("Anything the receiver should know (at most %(max)s characters).") % {
            "max": format_number(NOTES_MAX)
        }

    def clean_prospect_phone(self):
        phone = self.cleaned_data["prospect_phone"].strip()
        if phone and (not PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 6):
            raise forms.ValidationError(
                _("Enter a phone number: digits, spaces and + ( ) - only, at least 6 digits."), code="phone"
            )
        return phone

    def clean(self):
        data = super().clean()
        if data.get("kind") == Referral.Kind.OUTSIDE:
            if not data.get("prospect_name", "").strip() and "prospect_name" not in self.errors:
                self.add_error("prospect_name", _("Who is the prospect?"))
            if (
                not data.get("prospect_phone")
                and not data.get("prospect_email")
                and "prospect_phone" not in self.errors
                and "prospect_email" not in self.errors
            ):
                self.add_error("prospect_phone", _("Give a phone number or an email address for the prospect."))
            if not data.get("consent") and "consent" not in self.errors:
                self.add_error("consent", _("Say whether the prospect agreed to be contacted."))
        elif not data.get("consent"):
            data["consent"] = Referral.Consent.STATED
        return data


class StatusForm(SingleLineFormMixin, forms.Form):
    to = forms.ChoiceField(label=gettext_lazy("New status"), choices=Referral.Status.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
    reason = forms.CharField(max_length=300, required=False, label=gettext_lazy("Why do you decline it?"))


class WonForm(SingleLineFormMixin, forms.Form):
    value = forms.DecimalField(
        label=gettext_lazy("Value of the business closed"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_CLOSED_VALUE,
    )
    closed_on = forms.DateField(label=gettext_lazy("Date closed"), widget=_date_input())
    business_type = forms.ChoiceField(
        choices=Referral.BusinessType.choices,
        widget=forms.RadioSelect,
        initial=Referral.BusinessType.NEW,
        label=gettext_lazy("New or repeat business?"),
    )
    note = forms.CharField(max_length=300, required=False, label=gettext_lazy("Note for the giver"))

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["value"].label = _("Value of the business closed (%(currency)s)") % {"currency": currency}
        self.fields["value"].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class EraseForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=gettext_lazy("Who asked for the erasure, and how?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "This reason is kept in the history: do not repeat the prospect's name or contact here."
        ),
    )


class ErasureRequestForm(SingleLineFormMixin, forms.Form):
    """A prospect's request to be erased: its reference, and the contact it gave."""

    reference = forms.CharField(
        max_length=120,
        label=gettext_lazy("Reference of the erasure request"),
        help_text=gettext_lazy(
            "Your ticket or letter number, or how and when it came (“email of 3 March to privacy@”). "
            "It is kept in the audit trail: do not put the prospect's name or contact in it."
        ),
    )
    contact = forms.CharField(
        max_length=254,
        label=gettext_lazy("The prospect's email address or phone number"),
        help_text=gettext_lazy("As given in their request. Only referrals with exactly this contact are counted."),
    )

    def clean_contact(self):
        contact = self.cleaned_data["contact"].strip()
        if "@" not in contact and sum(c.isdigit() for c in contact) < 6:
            raise forms.ValidationError(
                _("Enter a full email address, or a phone number with at least 6 digits."), code="contact"
            )
        return contact

    def clean(self):
        data = super().clean()
        reference, contact = data.get("reference", ""), data.get("contact", "")
        digits = "".join(c for c in contact if c.isdigit())
        if contact and (
            contact.casefold() in reference.casefold()
            or ("@" not in contact and digits in "".join(c for c in reference if c.isdigit()))
        ):
            # The reference outlives the erasure in the audit trail; the contact must not.
            self.add_error(
                "reference", _("Leave the prospect's contact out of the reference: it is kept after the erasure.")
            )
        return data


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return member_label(obj)


class OneToOneForm(forms.Form):
    other = MemberChoiceField(queryset=Membership.objects.none(), label=gettext_lazy("With"))
    met_on = forms.DateField(
        label=gettext_lazy("Date"), widget=_date_input(), initial=date.today, validators=[_not_long_ago]
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = candidates


class EducationForm(SingleLineFormMixin, forms.Form):
    completed_on = forms.DateField(
        label=gettext_lazy("Date"), widget=_date_input(), initial=date.today, validators=[_not_long_ago]
    )
    title = forms.CharField(max_length=200, label=gettext_lazy("What did you learn?"))
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), max_digits=5, decimal_places=2, min_value=Decimal("0.25"), max_value=Decimal("40")
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        required=False, widget=_date_input(), label=pgettext_lazy("start of a period", "From"), validators=PERIOD_BOUNDS
    )
    end = forms.DateField(
        required=False, widget=_date_input(), label=pgettext_lazy("end of a period", "To"), validators=PERIOD_BOUNDS
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=[
            ("", gettext_lazy("Any status")),
            ("stale", gettext_lazy("Stale: open, no update for a while")),
            *Referral.Status.choices,
        ],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        return data
