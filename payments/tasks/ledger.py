"""Ledger tasks (stipend months)."""
