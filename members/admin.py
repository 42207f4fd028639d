from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from leadsgroups.admin_lists import ChapterFilter, LargeTableAdmin, ReadOnlyAdmin
from members.audit import AuditText, audit_record
from members.models import AuditEvent, Invitation, Membership, Notification, OutboundEmail, User
from members.outbox import emails_retry


@admin.register(User)
class UserAdmin(LargeTableAdmin, BaseUserAdmin):
    ordering = ["email"]  # the unique index on email
    list_display = ["email", "full_name", "business_name", "is_org_admin", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_org_admin", "is_staff", "is_active"]
    # Prefixes, not "contains": the people autocomplete of every other page searches here too.
    search_fields = ["^email", "^full_name", "^business_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (gettext_lazy("Person"), {"fields": ["full_name", "business_name", "phone", "language", "notification_delivery"]}),
        (gettext_lazy("Access"), {"fields": ["is_active", "is_org_admin", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (gettext_lazy("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]


@admin.register(Membership)
class MembershipAdmin(LargeTableAdmin):
    list_display = ["user", "chapter", "classification", "role", "status", "joined_on", "renewal_due"]
    list_filter = ["status", "role", "chapter__region", ChapterFilter]
    search_fields = ["=user__email", "^user__full_name", "^chapter__name"]
    list_select_related = ["user", "chapter", "classification"]
    autocomplete_fields = ["user", "chapter", "classification"]
    # Newest seats first, from the primary key: the model's order (by the person's name, in another
    # table) sorts every seat on each page load; the column headers still sort by name.
    ordering = ["-pk"]
    # Status and role changes need a reason and an audit record: make them in the app.
    readonly_fields = ["role", "status", "status_note"]

    # Seats added, edited or removed here still go on the audit trail.
    def save_model(self, request, obj, form, change):
        before = {k: form.initial.get(k) for k in form.changed_data} if change else {}
        super().save_model(request, obj, form, change)
        if change and not form.changed_data:
            return
        audit_record(
            actor=request.user, action="membership.admin_changed" if change else "membership.admin_added",
            target=obj, chapter=obj.chapter,
            summary=AuditText(gettext_noop("%(member)s edited in the Django admin") if change
                              else gettext_noop("%(member)s added in the Django admin"), member=obj.user),
            before=before, after={k: form.cleaned_data.get(k) for k in form.changed_data},
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="membership.admin_deleted", target=obj, chapter=obj.chapter,
                     summary=AuditText(gettext_noop("%(member)s removed in the Django admin"), member=obj.user),
                     before={"status": obj.status, "role": obj.role})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user", "chapter"):
            audit_record(actor=request.user, action="membership.admin_deleted", target=obj, chapter=obj.chapter,
                         summary=AuditText(gettext_noop("%(member)s removed in the Django admin"), member=obj.user),
                         before={"status": obj.status, "role": obj.role})
        super().delete_queryset(request, queryset)


@admin.register(Invitation)
class InvitationAdmin(LargeTableAdmin):
    list_display = ["email", "chapter", "role", "classification", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = [ChapterFilter, "role"]
    search_fields = ["=email", "^full_name"]
    list_select_related = ["chapter", "classification"]
    autocomplete_fields = ["chapter", "classification", "invited_by"]
    readonly_fields = ["token_hash", "accepted_at", "membership"]


@admin.register(Notification)
class NotificationAdmin(LargeTableAdmin):
    """Millions of rows (pruned after NOTIFICATION_RETENTION_DAYS): listed newest first from an index."""

    list_display = ["title", "user", "kind", "chapter", "created_at", "read_at", "email_wanted", "email_sent_at"]
    list_filter = ["kind", ChapterFilter]
    # A person's notices by their exact address: "title contains" would read every row.
    search_fields = ["=user__email"]
    search_help_text = gettext_lazy("The person's exact email address.")
    list_select_related = ["user", "chapter"]
    autocomplete_fields = ["user", "chapter"]


class HasErrorFilter(admin.SimpleListFilter):
    title = gettext_lazy("error")
    parameter_name = "has_error"

    def lookups(self, request, model_admin):
        return [("yes", _("With an error")), ("no", _("Without"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(LargeTableAdmin):
    """The email outbox: read-only rows; failed ones can be retried (a fresh set of tries)."""

    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "next_attempt_at", "sent_at", "error"]
    list_filter = ["status", HasErrorFilter, "kind", ChapterFilter]
    search_fields = ["to", "subject", "last_error"]
    list_select_related = ["chapter"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    @admin.display(description=gettext_lazy("Last error"))
    def error(self, obj):
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error

    @admin.action(description=gettext_lazy("Retry now (a fresh set of tries)"))
    def retry_now(self, request, queryset):
        queued = emails_retry(email_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext(
            "%(count)d email queued to be tried again; sent ones were left alone.",
            "%(count)d emails queued to be tried again; sent ones were left alone.", queued,
        ) % {"count": queued})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, LargeTableAdmin):
    """Read-only: audit records cannot be edited or deleted from the admin."""

    list_display = ["created_at", "who", "chapter", "action", "summary_words"]
    list_filter = ["action", ChapterFilter]
    search_fields = ["summary", "action", "reason", "actor_name", "actor_email", "actor__email"]
    list_select_related = ["actor", "chapter"]
    # The summary in the reader's language first; the words as written, their key and facts below it.
    fields = ["created_at", "actor", "actor_name", "actor_email", "chapter", "action", "target_type", "target_id",
              "summary_words", "summary", "summary_key", "summary_params", "before", "after", "reason"]
    readonly_fields = ["summary_words"]

    @admin.display(description=gettext_lazy("Actor"))
    def who(self, obj):
        return obj.actor_label or _("System")

    @admin.display(description=gettext_lazy("summary"))
    def summary_words(self, obj):
        return obj.summary_text
