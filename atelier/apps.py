from django.apps import AppConfig


class AtelierConfig(AppConfig):
    name = "atelier"
    verbose_name = "Atelier"

    def ready(self):
        from testers.staff_links import STAFF_LINKS, StaffLink

        link = StaffLink("Audit log", "program_audit_log", "audit.view",
                         "every change in the program: who, when, what changed")
        if link not in STAFF_LINKS:
            STAFF_LINKS.append(link)
