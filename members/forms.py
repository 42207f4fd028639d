from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from leadsgroups.single_line import SingleLineFormMixin
from members import delivery
from members.delivery import Delivery
from members.models import Notification, Profile
from members.photos import photo_prepare


class AcceptInvitationForm(SingleLineFormMixin, forms.Form):
    full_name = forms.CharField(max_length=150, label=_("Your name"))
    password1 = forms.CharField(
        label=_("Choose a password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            from members.models import User

            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


def _visibility(label) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=Profile.Visibility.choices, widget=forms.RadioSelect, label=label,
        required=False,  # not sent: the choice stays as it was
    )


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself ("Deutsch"), after the choice to follow the browser."""
    return [("", _("Follow my browser")), *settings.LANGUAGES]


class ProfileForm(SingleLineFormMixin, forms.Form):
    """The person's account details, their directory card (each contact field with who sees it), and emails."""

    full_name = forms.CharField(max_length=150, label=_("Name"), help_text=_("Always shown to your chapters."))
    business_name = forms.CharField(
        max_length=150, required=False, label=_("Business name"), help_text=_("Always shown to your chapters.")
    )
    language = forms.ChoiceField(
        choices=language_choices, required=False, label=_("Language"),
        help_text=_("The language of your pages and emails. “Follow my browser” uses your browser's language "
                    "on pages, and the site's language in emails."),
    )
    ideal_referral = forms.CharField(
        max_length=500, required=False, label=_("Your ideal referral"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("Who would you like to be introduced to? Up to 500 characters; always shown to your chapters."),
    )
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"),
                            widget=forms.TextInput(attrs={"type": "tel"}))
    phone_visibility = _visibility(_("Who sees your phone number"))
    email_visibility = _visibility(_("Who sees your email address"))
    website = forms.URLField(
        max_length=200, required=False, assume_scheme="https", label=_("Website"),
        validators=[URLValidator(schemes=["http", "https"])], help_text=_("e.g. https://example.com"),
    )
    website_visibility = _visibility(_("Who sees your website"))
    photo = forms.FileField(
        required=False, label=_("Photo"),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=_("JPEG, PNG, WebP or GIF up to 5 MB; resized to 400 × 400 pixels at most, "
                    "and what the camera recorded about it (place, device) is removed."),
    )
    remove_photo = forms.BooleanField(required=False, label=_("Remove my photo"))
    photo_visibility = _visibility(_("Who sees your photo"))

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return photo_prepare(upload)  # decoded, resized and re-encoded, or a ValidationError saying why not

    def directory(self) -> dict:
        """The directory part of the cleaned data, as `profile_directory_update` takes it."""
        data = self.cleaned_data
        return {
            "website": data["website"], "ideal_referral": data["ideal_referral"],
            "visibility": {f: data[f"{f}_visibility"] for f in ("phone", "email", "website", "photo")
                           if data[f"{f}_visibility"]},
            "photo": data["photo"], "remove_photo": data["remove_photo"] and not data["photo"],
        }


class NotificationSettingsForm(forms.Form):
    """How each kind of notice reaches the person: one radio group per kind (a table row on the page)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Notification.Kind.choices:
            offered = delivery.choices_for(kind)
            reason = delivery.REQUIRED.get(kind)
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=[(c, Delivery(c).label) for c in offered], widget=forms.RadioSelect(
                    attrs={"aria-describedby": f"kind-{kind}" + (f" kind-{kind}-why" if reason else "")}
                ),
                initial=user.delivery_for(kind),
                error_messages={"invalid_choice": reason or _("Choose one of the ways offered.")},
            )

    def rows(self) -> list[dict]:
        """Each kind with its radio in the column of each choice (None where the choice is not offered)."""
        rows = []
        for kind in Notification.Kind.values:
            field = self[kind]
            by_value = {str(radio.data["value"]): radio for radio in field}
            rows.append({
                "kind": kind, "field": field, "why": delivery.REQUIRED.get(kind),
                "cells": [by_value.get(choice) for choice in Delivery.values],
            })
        return rows
