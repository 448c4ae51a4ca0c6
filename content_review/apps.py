from django.apps import AppConfig


class ContentReviewConfig(AppConfig):
    name = "content_review"
    verbose_name = "Content review"

    def ready(self):
        from content_review import actions  # noqa: F401  (registers the app's actions and audit names)
        from content_review import notifications  # noqa: F401  (registers the app's notices)
        from content_review import receivers  # noqa: F401  (reacts to testers' events: clauses that ended)
        from atelier import figure_cache
        from content_review.report_figures import CACHE_SCOPE

        # The reports' review figures count share requests by status, deadline and first decision, filtered by
        # the membership's cohort and status: any of those actions makes them compute again.
        figure_cache.invalidate_on(CACHE_SCOPE, "content_review.share_request.*", "content_review.deadline.*",
                                   "content_review.appeal.*", "testers.membership.*")
        # Links on the program's staff page (testers), shown to whoever may follow them.
        from testers.staff_links import STAFF_LINKS, StaffLink

        links = [
            StaffLink("Review queue", "content_review:queue", "share_request.decide",
                      "Share requests waiting for a decision, closest deadline first; appeals; escalations."),
            StaffLink("Review report", "content_review:review_report", "review_report.view",
                      "Approval rate, time to decision, deadlines missed, appeals, refusals by clause."),
            StaffLink("Public showcase", "content_review:showcase", "program.view_staff",
                      "Approved works shown with their artists' consent and credit."),
        ]
        for link in links:
            if link not in STAFF_LINKS:
                STAFF_LINKS.append(link)
