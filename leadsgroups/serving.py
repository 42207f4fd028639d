"""Refuse to serve (web or Celery) with development settings in production."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_production_secret() -> None:
    """Raise unless a real SECRET_KEY is set; DEBUG=1 (development) may use the built-in one."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (or set DEBUG=1 for development).")
