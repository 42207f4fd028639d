from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from api.models import ApiToken
from api.services import EXPIRY_DAYS
from leadsgroups.single_line import SingleLineFormMixin


def _expiry_label(days: int) -> str:
    if days == 365:
        return _("1 year")
    return ngettext_lazy("%(count)d day", "%(count)d days", days) % {"count": days}


class ApiTokenForm(SingleLineFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("What the token is for, so you recognise it later (“CRM sync”, “my spreadsheet”)."),
    )
    scope = forms.ChoiceField(
        label=_("Access"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ, widget=forms.RadioSelect,
        help_text=_("Read and write also lets the token log referrals, move them, record one-to-ones and "
                    "mark attendance, as you can in the app."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"), choices=[(d, _expiry_label(d)) for d in EXPIRY_DAYS], coerce=int, initial=90,
    )
