from django.urls import path

from payments.views import ledger

urlpatterns = [
    path("earnings/", ledger.earnings, name="earnings"),
    path("earnings/<slug:slug>/", ledger.earnings, name="earnings_program"),
    path("earnings/<slug:slug>/pay/", ledger.pay, name="pay_transparency"),
    path("earnings/<slug:slug>/statement.csv", ledger.statement_csv, name="statement_csv"),
    path("staff/<slug:slug>/rates/", ledger.ratecard_list, name="ratecard_list"),
    path("staff/<slug:slug>/rates/new/", ledger.ratecard_create, name="ratecard_create"),
    path("staff/<slug:slug>/rates/<int:pk>/edit/", ledger.ratecard_edit, name="ratecard_edit"),
    path("staff/<slug:slug>/rates/<int:pk>/delete/", ledger.ratecard_delete, name="ratecard_delete"),
    path("staff/<slug:slug>/ledger/", ledger.ledger_overview, name="ledger_overview"),
    path("staff/<slug:slug>/ledger/unpriced/", ledger.ledger_unpriced, name="ledger_unpriced"),
    path("staff/<slug:slug>/ledger/unpriced/price/", ledger.ledger_price_unpriced, name="ledger_price_unpriced"),
    path("staff/<slug:slug>/ledger/<int:membership_id>/", ledger.ledger_member, name="ledger_member"),
    path("staff/<slug:slug>/ledger/<int:membership_id>/adjust/", ledger.ledger_adjust, name="ledger_adjust"),
    path("staff/<slug:slug>/ledger/<int:membership_id>/statement.csv", ledger.staff_statement_csv,
         name="staff_statement_csv"),
]
