import pytest
from django.core.exceptions import ImproperlyConfigured

from leadsgroups.serving import require_production_secret


def test_serving_refuses_the_development_key_in_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        require_production_secret()


def test_development_may_serve_with_the_built_in_key(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    require_production_secret()


def test_production_serves_with_its_own_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-secret-from-the-environment-0123456789-abcdefghij"
    require_production_secret()
