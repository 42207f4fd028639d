from django import forms
from django.utils.translation import gettext_lazy as _

from leadsgroups.single_line import SingleLineFormMixin
from webhooks.addresses import url_check
from webhooks.models import Event


class EndpointForm(SingleLineFormMixin, forms.Form):
    url = forms.URLField(
        label=_("Address"), max_length=500, assume_scheme="https",
        help_text=_("An HTTPS address of a service you run or trust; private and local addresses are refused."),
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.org/leadsgroups"}),
    )
    description = forms.CharField(label=_("Description"), max_length=100, required=False,
                                  help_text=_("What it is for, so the next leadership knows."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active: send deliveries"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A new endpoint's address is always checked, and it starts active; an endpoint being edited may be
        # paused, and its address is checked again only when it changes (a DNS hiccup must not block a pause).
        self.check_address = not editing
        if not editing:
            del self.fields["is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if self.check_address or url != self.initial.get("url"):
            url_check(url)
        return url
