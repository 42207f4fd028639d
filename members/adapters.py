from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """People join by invitation unless the organisation opens sign-up."""
        return settings.LEADSGROUPS_OPEN_SIGNUP
