from django.apps import AppConfig


class AtelierConfig(AppConfig):
    name = "atelier"
    verbose_name = "Atelier"

    def ready(self):
        from atelier.notifications import actions  # noqa: F401  (registers the notification centre's actions)
