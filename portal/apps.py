from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top layer: the site's URL map and the pages that compose the apps' panels."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Registries of the apps, filled once every app is loaded (models are not importable before).
        from content_review import report_figures
        from content_review import selectors as review_selectors
        from payments.reports import providers
        from testers.staff_links import STAFF_LINKS, StaffLink

        # The reports (payments) show content-review figures without payments importing content_review.
        providers.review_figures_over_time = report_figures.review_figures_over_time
        providers.share_requests_near_deadline = review_selectors.near_deadline

        link = StaffLink("Audit log", "program_audit_log", "audit.view",
                         "every change in the program: who, when, what changed")
        if link not in STAFF_LINKS:
            STAFF_LINKS.append(link)
