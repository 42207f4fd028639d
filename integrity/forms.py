from django import forms
from django.utils.translation import gettext_lazy as _

from integrity.models import IntegrityFlag, IntegrityRules
from leadsgroups.single_line import SingleLineFormMixin


class ReviewForm(SingleLineFormMixin, forms.Form):
    """What leadership made of a flag, and why (the note goes on the audit trail)."""

    outcome = forms.ChoiceField(
        label=_("What did you make of it?"), choices=IntegrityFlag.Outcome.choices, widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you found and what was done: the next reader sees it, and the audit trail keeps it."),
    )


class IntegrityRulesForm(SingleLineFormMixin, forms.ModelForm):
    """The chapter's thresholds, each with its default beside it."""

    class Meta:
        model = IntegrityRules
        fields = IntegrityRules.THRESHOLD_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = IntegrityRules()
        for name, form_field in self.fields.items():
            form_field.widget.attrs.setdefault("inputmode", "decimal" if name == "round_unit" else "numeric")
            form_field.default = getattr(defaults, name)
