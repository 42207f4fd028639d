"""The Django admin filters only on fields it shows: no query-string lookups on hidden ones.

Django's `ModelAdmin.lookup_allowed` accepts a lookup on any of the model's own fields, whatever
the admin shows: the referral list hid prospects' names and contacts, yet `?prospect_name__istartswith=Yus`
narrowed it letter by letter until a hidden email was spelled out. An admin that hides fields uses
`HiddenFieldsAdmin`, which refuses a lookup touching any of them (the list answers 400, as Django
does for a lookup it does not allow), also through a relation (`?events__note=…` from the referral
list reaches a field its inline hides; `?referral__prospect_name=…` from another model's admin,
a field the referral admin hides). Other admins reach such fields only through a relation, which
Django refuses unless their `list_filter` names it; tests/security/test_admin_lookups.py tries
every hidden field from every registered admin.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP


def hidden_fields(model_admin, request) -> set[str]:
    """Fields of the model that the admin's change form leaves out: excluded, or not in its `fields`/`fieldsets`.

    Works for inlines too. Fields Django leaves out by itself (not editable, such as `auto_now_add`
    dates) are not hidden by the admin: they show in lists and date filters.
    """
    opts = model_admin.model._meta
    # The change form's fieldsets (an unsaved instance stands for the object: some admins, such as
    # the user admin, show a shorter form when adding); they include the read-only fields.
    shown = set(flatten_fieldsets(model_admin.get_fieldsets(request, model_admin.model())))
    editable = {f.name for f in (*opts.concrete_fields, *opts.many_to_many) if f.editable and not f.primary_key}
    excluded = set(model_admin.get_exclude(request) or ())
    return (editable - shown) | (excluded & {f.name for f in opts.get_fields()})


class HiddenFieldsAdmin(admin.ModelAdmin):
    """A model admin that hides fields: lookups on them are refused, directly or through a relation."""

    def lookup_allowed(self, lookup, value, request):
        if self._reaches_hidden_field(lookup, request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def _reaches_hidden_field(self, lookup: str, request) -> bool:
        model, hidden = self.model, hidden_fields(self, request)
        for part in lookup.split(LOOKUP_SEP):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return False  # a transform or lookup (`istartswith`) of the field before it
            if field.name in hidden or part in hidden:
                return True
            if not field.is_relation or field.related_model is None:
                return False
            model = field.related_model
            hidden = self._hidden_fields_of(model, request)
        return False

    def _hidden_fields_of(self, model, request) -> set[str]:
        """What this admin's inlines of `model` and the admin registered for it hide."""
        hidden = set()
        for inline in self.get_inline_instances(request):
            if inline.model is model:
                hidden |= hidden_fields(inline, request)
        registered = self.admin_site._registry.get(model)
        if registered is not None:
            hidden |= hidden_fields(registered, request)
        return hidden
