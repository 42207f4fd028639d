from django.contrib import admin

from api.models import ApiToken
from leadsgroups.admin_lists import ReadOnlyAdmin
from leadsgroups.admin_privacy import HiddenFieldsAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin, HiddenFieldsAdmin):
    """Tokens are created and revoked by their owners (and audited): the admin only lists them.

    The hash is neither shown nor filterable (a list narrowed by `?token_hash__istartswith=` would spell it out).
    """

    list_display = ["name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["^user__email", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    ordering = ["-pk"]
