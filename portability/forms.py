from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portability import roster_import


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), required=False,
        help_text=_("One member per line: name, email, classification, role (a first line of headings is fine). "
                    "Commas or semicolons; UTF-8 or Windows encodings."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    text = forms.CharField(
        label=_("Or paste the lines"), required=False,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "Ada Lovelace, ada@example.org, Accountant, member"}),
    )

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload is None and not text:
            raise ValidationError(_("Choose a CSV file or paste the lines to import."), code="empty")
        if upload is not None:
            if upload.size > roster_import.max_bytes():
                raise ValidationError(_("The file is larger than %(size)s KB: split it into several imports.")
                                      % {"size": roster_import.max_bytes() // 1024}, code="too_big")
            text = roster_import.roster_text_decode(upload.read())
        data["roster"] = text
        return data


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    understood = forms.BooleanField(
        label=_("I understand that my account and my personal data are deleted for good, and that this cannot be undone."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.has_usable_password():
            raise ValidationError(_("Your account has no password yet: choose one with “Forgot your password?” on the "
                                    "sign-in page, then come back."), code="no_password")
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your password."), code="password")
        return password
