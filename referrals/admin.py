from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadsgroups.admin_lists import ChapterFilter, LargeTableAdmin
from leadsgroups.admin_privacy import HiddenFieldsAdmin
from referrals.models import ConsentRequest, EducationCredit, OneToOne, Referral, ReferralEvent, ThankYou


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    # No notes: a status note can name the prospect, and the history is for the giver, the receiver
    # and the chapter's leadership (referrals.selectors.referral_can_see_prospect).
    fields = readonly_fields = ["action", "actor", "from_status", "to_status", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False  # the history is written by the app, never typed in

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Referral)
class ReferralAdmin(HiddenFieldsAdmin, LargeTableAdmin):
    """Over a million rows: newest first from the created_at index; chapters found by name.

    Prospect fields are hidden, and so not filterable either: `?prospect_name__istartswith=…` is refused.
    """

    list_display = ["pk", "chapter", "giver", "receiver", "kind", "status", "consent", "created_at"]
    list_filter = ["status", "kind", "consent", ChapterFilter]
    list_select_related = ["chapter", "giver__user", "giver__chapter", "receiver__user", "receiver__chapter"]
    # A prospect's name, contact and the giver's notes are for the giver, the receiver and the
    # chapter's leadership only (referrals.selectors.referral_can_see_prospect), not for admins:
    # the admin site shows whether they are held, and erasure is done in the app, where it is audited.
    exclude = ["prospect_name", "prospect_email", "prospect_phone", "notes", "decline_reason"]
    readonly_fields = ["prospect_data", "prospect_erased_at", "status", "consent"]
    raw_id_fields = ["giver", "receiver"]
    autocomplete_fields = ["chapter"]
    inlines = [ReferralEventInline]

    @admin.display(description=gettext_lazy("Prospect data"))
    def prospect_data(self, obj) -> str:
        if obj.is_erased:
            return _("Erased")
        held = [
            str(label)
            for label, value in (
                (gettext_lazy("name"), obj.prospect_name),
                (gettext_lazy("email"), obj.prospect_email),
                (gettext_lazy("phone"), obj.prospect_phone),
                (gettext_lazy("notes"), obj.notes),
            )
            if value
        ]
        return _("Held: %(fields)s") % {"fields": ", ".join(held)} if held else _("None")


@admin.register(ThankYou)
class ThankYouAdmin(LargeTableAdmin):
    list_display = ["pk", "chapter", "giver", "receiver", "value", "closed_on", "business_type"]
    list_filter = [ChapterFilter, "business_type"]
    list_select_related = ["chapter", "giver__user", "giver__chapter", "receiver__user", "receiver__chapter"]
    raw_id_fields = ["referral", "giver", "receiver"]
    autocomplete_fields = ["chapter"]


@admin.register(OneToOne)
class OneToOneAdmin(LargeTableAdmin):
    list_display = ["pk", "chapter", "initiator", "other", "met_on", "status"]
    list_filter = [ChapterFilter, "status"]
    list_select_related = ["chapter", "initiator__user", "initiator__chapter", "other__user", "other__chapter"]
    raw_id_fields = ["initiator", "other"]
    autocomplete_fields = ["chapter"]


@admin.register(EducationCredit)
class EducationCreditAdmin(LargeTableAdmin):
    list_display = ["pk", "chapter", "membership", "completed_on", "title", "hours"]
    list_filter = [ChapterFilter]
    list_select_related = ["chapter", "membership__user", "membership__chapter"]
    raw_id_fields = ["membership"]
    autocomplete_fields = ["chapter"]


@admin.register(ConsentRequest)
class ConsentRequestAdmin(LargeTableAdmin):
    list_display = ["pk", "referral", "created_at", "expires_at", "answered_at", "closed_at", "outcome"]
    list_select_related = [
        "referral__giver__user", "referral__giver__chapter", "referral__receiver__user", "referral__receiver__chapter",
    ]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["referral", "sent_by"]
