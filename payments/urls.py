"""Payments URLs, gathered from the three parts of the app (ledger, payouts, reports)."""
from payments import urls_ledger, urls_payouts, urls_reports

app_name = "payments"

urlpatterns = [*urls_ledger.urlpatterns, *urls_payouts.urlpatterns, *urls_reports.urlpatterns]
