from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        from payments import receivers  # noqa: F401  (connects the ledger to testers' signals)
        from payments import actions  # noqa: F401  (registers the app's actions and audit names)
        from payments import notifications  # noqa: F401  (registers the app's notices)
        from testers.staff_links import STAFF_LINKS, StaffLink
        from testers import feedback_earnings  # the hook testers' feedback page reads (testers cannot import us)
        from payments import pay_transparency, selectors  # need the apps loaded (models)

        feedback_earnings.lookup = selectors.feedback_earnings  # what a feedback item earned, on the artist's page
        pay_transparency.connect()  # forget the cached pay figures when earnings, hours or cohorts change

        # Ledger links on the program's staff page.
        STAFF_LINKS.extend([
            StaffLink("Rate cards", "payments:ratecard_list", "ratecard.view", "what the program pays, by version"),
            StaffLink("Balances and ledger", "payments:ledger_overview", "ledger.view",
                      "every artist's balance, entries, adjustments and statements"),
            StaffLink("Unpriced work", "payments:ledger_unpriced", "ledger.view",
                      "approved work no rate card covered"),
        ])
        # Payout links (Stripe side).
        STAFF_LINKS.extend([
            StaffLink("Payout runs", "payments:payout_runs", "payout_run.view",
                      "create, approve and follow payout runs; reports and CSV"),
            StaffLink("Reconciliation with Stripe", "payments:reconciliations", "reconciliation.view",
                      "differences between payouts and Stripe transfers"),
        ])
        # Reports links (payments/reports).
        STAFF_LINKS.extend([
            StaffLink("Dashboard", "payments:reports_dashboard", "dashboard.view",
                      "headline figures: artists, terms, triage, approvals, deadlines, balance, next run"),
            StaffLink("Reports", "payments:reports_overview", "reports.view",
                      "earnings, payouts and runs, year-end totals; charts, CSV and Excel exports"),
            StaffLink("Fair pay", "payments:reports_fair_pay", "fair_pay.view",
                      "effective hourly rates against the floor; accepted feedback not yet paid"),
        ])
