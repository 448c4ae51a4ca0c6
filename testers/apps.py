from django.apps import AppConfig


class TestersConfig(AppConfig):
    name = "testers"
    verbose_name = "Programs and testers"

    def ready(self):
        from . import receivers  # noqa: F401
        from testers import actions  # noqa: F401  (registers the app's actions and audit names)
        from testers import notifications  # noqa: F401  (registers the app's notices: docs/notifications.md)
