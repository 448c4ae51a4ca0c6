from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from api import actions  # noqa: F401  (registers the app's actions)
        from api import schema  # noqa: F401  (tells drf-spectacular how the token authenticates)
