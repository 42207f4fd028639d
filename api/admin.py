from django.contrib import admin

from api.models import ApiToken
from leadsgroups.admin_lists import ReadOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Tokens are created and revoked by their owners (and audited): the admin only lists them, never the hash."""

    list_display = ["name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["^user__email", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    ordering = ["-pk"]
