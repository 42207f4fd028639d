from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The dashboard and the navigation: composed from every app, so they live above them all."""

    name = "home"

    def ready(self):
        from home import navigation

        navigation.connect_invalidation()
