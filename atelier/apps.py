from django.apps import AppConfig


class AtelierConfig(AppConfig):
    name = "atelier"
    verbose_name = "Atelier"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from atelier.notifications import actions  # noqa: F401  (registers the notification centre's actions)
        from atelier.notifications.delivery import warm_unread_count  # models are loaded only now

        user_logged_in.connect(warm_unread_count, dispatch_uid="atelier.notifications.warm_unread_count")

        from atelier import person_cache  # its receivers name models by label: connected once they are loaded

        person_cache.connect()  # what clears the signed-in person's cached user, access and unread count

        from atelier import checks  # noqa: F401  (registers the deploy checks; importing it needs the settings)
        from atelier import page_cache  # noqa: F401  (subscribes the cached pages to every action event)
        from atelier.actions import register_constraint_messages
        from atelier.bounds import TEXT_LIMIT_MESSAGES

        register_constraint_messages(TEXT_LIMIT_MESSAGES)  # filled as the models were defined
