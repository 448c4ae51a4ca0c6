from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        from payments import receivers  # noqa: F401  (connects the ledger to testers' signals)
        from testers.staff_links import STAFF_LINKS, StaffLink

        # Ledger links on the program's staff page.
        STAFF_LINKS.extend([
            StaffLink("Rate cards", "payments:ratecard_list", "ratecard.view", "what the program pays, by version"),
            StaffLink("Balances and ledger", "payments:ledger_overview", "ledger.view",
                      "every artist's balance, entries, adjustments and statements"),
            StaffLink("Unpriced work", "payments:ledger_unpriced", "ledger.view",
                      "approved work no rate card covered"),
        ])
