from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top layer: the site's URL map and the pages that compose the apps' panels."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from testers.staff_links import STAFF_LINKS, StaffLink  # an app's registry: filled once apps are ready

        link = StaffLink("Audit log", "program_audit_log", "audit.view",
                         "every change in the program: who, when, what changed")
        if link not in STAFF_LINKS:
            STAFF_LINKS.append(link)
