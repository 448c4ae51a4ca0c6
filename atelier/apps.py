from django.apps import AppConfig


class AtelierConfig(AppConfig):
    name = "atelier"
    verbose_name = "Atelier"

    def ready(self):
        from atelier import checks  # noqa: F401  (registers the deploy checks; importing it needs the settings)
