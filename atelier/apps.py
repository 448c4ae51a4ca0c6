from django.apps import AppConfig


class AtelierConfig(AppConfig):
    name = "atelier"
    verbose_name = "Atelier"

    def ready(self):
        from atelier import checks  # noqa: F401  (registers the deploy checks; importing it needs the settings)
        from atelier.actions import register_constraint_messages
        from atelier.bounds import TEXT_LIMIT_MESSAGES

        register_constraint_messages(TEXT_LIMIT_MESSAGES)  # filled as the models were defined
