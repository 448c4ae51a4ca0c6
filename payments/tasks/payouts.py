"""Payout tasks (sending runs, reconciliation)."""
