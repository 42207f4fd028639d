from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrityConfig(AppConfig):
    name = "integrity"
    verbose_name = _("Integrity checks")

    def ready(self):
        from django.db.models.signals import post_save

        from integrity.fingerprints import fingerprint_forget
        from referrals.models import Referral

        # A side job, not a rule: an erased prospect keeps no fingerprint (a keyed hash is still about them).
        post_save.connect(fingerprint_forget, sender=Referral, dispatch_uid="integrity-fingerprint-forget")
