"""Reports: staff pages under /staff/<program slug>/reports/ and /dashboard/, the artist's PDF statement."""
from django.urls import path

from payments.views import reports

urlpatterns = [
    path("staff/<slug:slug>/reports/", reports.overview, name="reports_overview"),
    path("staff/<slug:slug>/reports/earnings/", reports.earnings, name="reports_earnings"),
    path("staff/<slug:slug>/reports/payouts/", reports.payouts, name="reports_payouts"),
    path("staff/<slug:slug>/reports/year-end/", reports.year_end, name="reports_year_end"),
    path("staff/<slug:slug>/reports/fair-pay/", reports.fair_pay, name="reports_fair_pay"),
    path("staff/<slug:slug>/reports/export/<str:report>.<str:fmt>", reports.export, name="reports_export"),
    path("staff/<slug:slug>/reports/statements/<int:membership_id>.pdf", reports.staff_statement,
         name="reports_staff_statement"),
    path("staff/<slug:slug>/dashboard/", reports.dashboard, name="reports_dashboard"),
    path("earnings/<slug:slug>/statement/", reports.artist_statement, name="reports_artist_statement"),
    path("earnings/<slug:slug>/statement.pdf", reports.artist_statement_pdf, name="reports_artist_statement_pdf"),
]
