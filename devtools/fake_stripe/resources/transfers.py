"""Transfers to connected accounts and their reversals: the /v1/transfers endpoints, and
``reverse_transfer`` for a reversal made "from the dashboard"."""

from __future__ import annotations

import copy
import time

from ..protocol import (
    _clean_metadata,
    _created_matches,
    _currency,
    _invalid,
    _merge_metadata,
    _missing,
    _no_such,
    _positive_int,
    new_id,
)


class Transfers:
    """Mixed into ``FakeStripe``."""

    def import_transfer(self, *, id: str, amount: int, currency: str, destination: str, created: int | None = None,
                        transfer_group: str | None = None, metadata: dict | None = None,
                        description: str | None = None) -> dict:
        """Know a transfer made elsewhere (the demo seed pays its past run through a throwaway fake): stored as
        it was, with its id, so reconciliation against this fake finds it. No balance is checked or taken."""
        with self.lock:
            if id in self._transfers:
                return copy.deepcopy(self._transfers[id])
            if destination not in self.accounts:
                raise _invalid(f"No such destination: '{destination}'", "resource_missing", "destination")
            currency = currency.lower()
            acct_balance = self.account_balances.setdefault(destination, {})
            acct_balance[currency] = acct_balance.get(currency, 0) + int(amount)
            transfer = {
                "id": id, "object": "transfer", "amount": int(amount), "amount_reversed": 0,
                "balance_transaction": new_id("txn"), "created": int(created or time.time()), "currency": currency,
                "description": description, "destination": destination, "destination_payment": new_id("py"),
                "livemode": False, "metadata": _clean_metadata(metadata or {}),
                "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                              "url": f"/v1/transfers/{id}/reversals"},
                "reversed": False, "source_transaction": None, "source_type": "card",
                "transfer_group": transfer_group,
            }
            self._transfers[id] = transfer
            self._register(id)
            return copy.deepcopy(transfer)

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> dict:
        """Reverse a transfer as if from the dashboard; emits ``transfer.reversed``."""
        with self.lock:
            return copy.deepcopy(self._reverse(transfer_id, {"amount": amount} if amount else {}))

    # ---- endpoints --------------------------------------------------------

    def _transfer_or_raise(self, transfer_id: str) -> dict:
        transfer = self._transfers.get(transfer_id)
        if transfer is None:
            raise _no_such("transfer", transfer_id)
        return transfer

    def _api_create_transfer(self, ctx, params):
        for name in ("amount", "currency", "destination"):
            if params.get(name) in (None, ""):
                raise _missing(name)
        amount = _positive_int(params["amount"], "amount")
        currency = _currency(params["currency"])
        destination = self.accounts.get(params["destination"])
        if destination is None:
            raise _invalid(
                f"No such destination: '{params['destination']}'", "resource_missing", "destination"
            )
        if destination["capabilities"].get("transfers") != "active":
            raise _invalid(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                "insufficient_capabilities_for_transfer",
                "destination",
            )
        if self.balance_available.get(currency, 0) < amount:
            raise _invalid(
                "You have insufficient available funds in your Stripe account. Try "
                "adding funds directly to your available balance by creating Charges "
                "using the 4000000000000077 test card.",
                "balance_insufficient",
            )
        self.balance_available[currency] -= amount
        acct_balance = self.account_balances.setdefault(destination["id"], {})
        acct_balance[currency] = acct_balance.get(currency, 0) + amount
        transfer_id = new_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": new_id("txn"),
            "created": int(time.time()),
            "currency": currency,
            "description": params.get("description") or None,
            "destination": destination["id"],
            "destination_payment": new_id("py"),
            "livemode": False,
            "metadata": _clean_metadata(params.get("metadata") or {}),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": None,
            "source_type": "card",
            "transfer_group": params.get("transfer_group") or None,
        }
        self._transfers[transfer_id] = transfer
        self._register(transfer_id)
        self._emit("transfer.created", transfer)
        return transfer

    def _api_get_transfer(self, ctx, params, transfer_id):
        return self._transfer_or_raise(transfer_id)

    def _api_update_transfer(self, ctx, params, transfer_id):
        transfer = self._transfer_or_raise(transfer_id)
        before = copy.deepcopy(transfer)
        if "metadata" in params:
            transfer["metadata"] = _merge_metadata(transfer["metadata"], params["metadata"])
        if "description" in params:
            transfer["description"] = params["description"] or None
        previous = {k: v for k, v in before.items() if transfer.get(k) != v}
        if previous:
            self._emit("transfer.updated", transfer, previous=previous)
        return transfer

    def _api_list_transfers(self, ctx, params):
        items = list(self._transfers.values())
        for name in ("transfer_group", "destination"):
            if params.get(name):
                items = [t for t in items if t[name] == params[name]]
        if "created" in params:
            items = [t for t in items if _created_matches(t["created"], params["created"])]
        return self._paginate(items, params, "/v1/transfers")

    def _reverse(self, transfer_id: str, params: dict) -> dict:
        transfer = self._transfer_or_raise(transfer_id)
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = (
            remaining if params.get("amount") in (None, "") else _positive_int(params["amount"], "amount")
        )
        if amount > remaining:
            raise _invalid(
                f"You have already reversed {transfer['amount_reversed']} of this transfer; "
                f"at most {remaining} more can be reversed.",
                "amount_too_large" if remaining else "transfer_already_reversed",
                "amount",
            )
        before = copy.deepcopy(transfer)
        reversal = {
            "id": new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "created": int(time.time()),
            "currency": transfer["currency"],
            "destination_payment_refund": new_id("pyr"),
            "metadata": _clean_metadata(params.get("metadata") or {}),
            "source_refund": None,
            "transfer": transfer_id,
        }
        self._reversals[reversal["id"]] = reversal
        self._register(reversal["id"])
        transfer["amount_reversed"] += amount
        # Like Stripe: `reversed` only once the transfer is fully reversed.
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
        currency = transfer["currency"]
        self.balance_available[currency] = self.balance_available.get(currency, 0) + amount
        acct_balance = self.account_balances.setdefault(transfer["destination"], {})
        acct_balance[currency] = acct_balance.get(currency, 0) - amount
        previous = {
            k: before[k] for k in ("amount_reversed", "reversed", "reversals") if before[k] != transfer[k]
        }
        self._emit("transfer.reversed", transfer, previous=previous)
        return reversal

    def _api_create_reversal(self, ctx, params, transfer_id):
        return self._reverse(transfer_id, params)

    def _api_list_reversals(self, ctx, params, transfer_id):
        transfer = self._transfer_or_raise(transfer_id)
        return self._paginate(
            transfer["reversals"]["data"], params, f"/v1/transfers/{transfer_id}/reversals"
        )
