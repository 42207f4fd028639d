from django import forms
from django.contrib.auth import password_validation

from leadsgroups.single_line import SingleLineFormMixin
from members.models import Notification


class AcceptInvitationForm(SingleLineFormMixin, forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            from members.models import User

            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ProfileForm(SingleLineFormMixin, forms.Form):
    full_name = forms.CharField(max_length=150, label="Name")
    business_name = forms.CharField(max_length=150, required=False)
    phone = forms.CharField(max_length=40, required=False)
    email_kinds = forms.MultipleChoiceField(
        choices=Notification.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Send me email for", help_text="Unticked kinds still appear in your notifications here.",
    )
