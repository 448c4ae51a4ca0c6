"""Payout URLs: the artist's payout account, the staff payout runs and reconciliation, the Stripe webhook."""
from django.urls import path

from payments.views import onboarding, payouts, webhooks

urlpatterns = [
    path("payout-account/", onboarding.payout_account, name="payout_account"),
    path("payout-account/connect/", onboarding.payout_account_connect, name="payout_account_connect"),
    path("payout-account/return/", onboarding.payout_account_return, name="payout_account_return"),
    path("payout-account/relink/", onboarding.payout_account_relink, name="payout_account_relink"),
    path("payout-account/refresh/", onboarding.payout_account_refresh, name="payout_account_refresh"),
    path("staff/<slug:slug>/payouts/", payouts.run_list, name="payout_runs"),
    path("staff/<slug:slug>/payouts/reconciliation/", payouts.reconciliation_list, name="reconciliations"),
    path("staff/<slug:slug>/payouts/reconciliation/<int:report_id>/", payouts.reconciliation_detail,
         name="reconciliation"),
    path("staff/<slug:slug>/payouts/reconciliation/differences/<int:difference_id>/note/", payouts.difference_note,
         name="reconciliation_difference_note"),
    path("staff/<slug:slug>/payouts/reversals/<int:payout_id>/<str:reversal_id>/release/", payouts.reversal_release,
         name="reversal_release"),
    path("staff/<slug:slug>/payouts/<int:run_id>/", payouts.run_detail, name="payout_run"),
    path("staff/<slug:slug>/payouts/<int:run_id>/progress/", payouts.run_progress, name="payout_run_progress"),
    path("staff/<slug:slug>/payouts/<int:run_id>/approve/", payouts.run_approve, name="payout_run_approve"),
    path("staff/<slug:slug>/payouts/<int:run_id>/cancel/", payouts.run_cancel, name="payout_run_cancel"),
    path("staff/<slug:slug>/payouts/<int:run_id>/report.csv", payouts.run_csv, name="payout_run_csv"),
    path("staff/<slug:slug>/payouts/<int:run_id>/payouts/<int:payout_id>/retry/", payouts.payout_retry,
         name="payout_retry"),
    path("staff/<slug:slug>/payouts/<int:run_id>/payouts/<int:payout_id>/cancel/", payouts.payout_cancel,
         name="payout_cancel"),
    path("staff/<slug:slug>/payouts/<int:run_id>/payouts/<int:payout_id>/release/", payouts.payout_release,
         name="payout_release"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
