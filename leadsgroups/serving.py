"""Refuse to serve (web or Celery) with development settings in production."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Caches every process on every machine reads and writes alike. allauth counts failed sign-ins per
# account in the default cache; with a per-process cache each gunicorn worker counts on its own, so
# 3 workers let 15 wrong passwords through instead of 5. Workers bump the navigation's cache versions
# (home/navigation.py), which web processes must see too.
SHARED_CACHES = {
    "django.core.cache.backends.redis.RedisCache",
    "leadsgroups.cache.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
}


def require_production_secret() -> None:
    """Raise unless a real SECRET_KEY is set; DEBUG=1 (development) may use the built-in one."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (or set DEBUG=1 for development).")


def require_shared_cache() -> None:
    """Raise unless the default cache is shared between processes; development and tests may keep theirs."""
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in SHARED_CACHES:
        raise ImproperlyConfigured(
            f"CACHE_URL must name a cache every process shares when DEBUG is off (now {backend}): "
            "sign-in rate limits count there. Use rediscache://host:6379/1, or dbcache://leadsgroups_cache "
            "after `manage.py createcachetable` (README \"Production\")."
        )


def require_production_settings() -> None:
    """What the web server and Celery check before they start."""
    require_production_secret()
    require_shared_cache()


def shared_cache_check(app_configs=None, **kwargs) -> list:
    """`check --deploy` (make check) says what the web server would refuse to start with."""
    from django.core.checks import Error

    try:
        require_shared_cache()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="leadsgroups.E001")]
    return []
