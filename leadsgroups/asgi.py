import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsgroups.settings")
application = get_asgi_application()

from leadsgroups.serving import require_production_settings  # noqa: E402 - needs the settings loaded

require_production_settings()
