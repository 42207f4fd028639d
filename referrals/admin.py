from django.contrib import admin

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


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["pk", "chapter", "giver", "receiver", "kind", "status", "consent", "created_at"]
    list_filter = ["status", "kind", "consent", "chapter"]
    list_select_related = ["chapter", "giver__user", "giver__chapter", "receiver__user", "receiver__chapter"]
    # A prospect's name, contact and the giver's notes are for the giver, the receiver and the
    # chapter's leadership only (referrals.selectors.referral_can_see_prospect), not for admins:
    # the admin site shows whether they are held, and erasure is done in the app, where it is audited.
    exclude = ["prospect_name", "prospect_email", "prospect_phone", "notes", "decline_reason"]
    readonly_fields = ["prospect_data", "prospect_erased_at", "status", "consent"]
    raw_id_fields = ["giver", "receiver"]
    inlines = [ReferralEventInline]

    @admin.display(description="Prospect data")
    def prospect_data(self, obj) -> str:
        if obj.is_erased:
            return "Erased"
        held = [
            label
            for label, value in (
                ("name", obj.prospect_name),
                ("email", obj.prospect_email),
                ("phone", obj.prospect_phone),
                ("notes", obj.notes),
            )
            if value
        ]
        return ("Held: " + ", ".join(held)) if held else "None"


@admin.register(ThankYou)
class ThankYouAdmin(admin.ModelAdmin):
    list_display = ["pk", "chapter", "giver", "receiver", "value", "closed_on", "business_type"]
    list_filter = ["chapter", "business_type"]
    raw_id_fields = ["referral", "giver", "receiver"]


@admin.register(OneToOne)
class OneToOneAdmin(admin.ModelAdmin):
    list_display = ["pk", "chapter", "initiator", "other", "met_on", "status"]
    list_filter = ["chapter", "status"]
    raw_id_fields = ["initiator", "other"]


@admin.register(EducationCredit)
class EducationCreditAdmin(admin.ModelAdmin):
    list_display = ["pk", "chapter", "membership", "completed_on", "title", "hours"]
    list_filter = ["chapter"]
    raw_id_fields = ["membership"]


@admin.register(ConsentRequest)
class ConsentRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "referral", "created_at", "expires_at", "answered_at", "closed_at", "outcome"]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["referral"]
