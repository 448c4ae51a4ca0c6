"""Connected accounts: the /v1/accounts and /v1/account_links endpoints, the onboarding pages an account
link opens, and the control methods tests use to enable, disable or change an account."""

from __future__ import annotations

import copy
import html
import time
from typing import Callable

from ..protocol import Response, _clean_metadata, _deep_merge, _invalid, _merge_metadata, _missing, _no_such, new_id

ACCOUNT_LINK_TTL = 300  # seconds, like Stripe's "expires within minutes"

NEW_ACCOUNT_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "JP": "jpy"}


class Accounts:
    """Mixed into ``FakeStripe``."""

    def create_account(
        self,
        email: str | None = None,
        country: str = "US",
        enabled: bool = False,
        account_id: str | None = None,
        metadata: dict | None = None,
    ) -> dict:
        """Create an Express-style account directly (no HTTP, no event).

        ``account_id`` lets demo seeding re-create known ids after a restart.
        """
        with self.lock:
            account = self._new_account(
                {
                    "email": email,
                    "country": country,
                    "metadata": metadata or {},
                    "controller": {"stripe_dashboard": {"type": "express"}},
                    "capabilities": {"transfers": {"requested": "true"}},
                },
                account_id=account_id,
            )
            if enabled:
                self._set_enabled(account)
            return copy.deepcopy(account)

    def enable_account(self, account_id: str) -> dict:
        """Finish onboarding: everything enabled; emits ``account.updated``."""
        with self.lock:
            account = self._account_or_raise(account_id)
            return self._update_account(account, self._set_enabled)

    def disable_account(self, account_id: str, reason: str = "requirements.past_due") -> dict:
        """Disable payouts and transfers; emits ``account.updated``."""

        def apply(acct):
            acct["charges_enabled"] = False
            acct["payouts_enabled"] = False
            acct["capabilities"].setdefault("transfers", "inactive")
            for name in acct["capabilities"]:
                acct["capabilities"][name] = "inactive"
            due = ["external_account"]
            acct["requirements"].update(
                currently_due=due, eventually_due=due, past_due=due, disabled_reason=reason
            )

        with self.lock:
            return self._update_account(self._account_or_raise(account_id), apply)

    def update_account(self, account_id: str, **fields) -> dict:
        """Deep-merge ``fields`` into the account (e.g. ``payouts_enabled=False``,
        ``requirements={"disabled_reason": "rejected.fraud"}``); emits
        ``account.updated``."""
        with self.lock:
            account = self._account_or_raise(account_id)
            return self._update_account(account, lambda a: _deep_merge(a, fields))

    # ---- endpoints --------------------------------------------------------

    def _account_or_raise(self, account_id: str, param: str = "id") -> dict:
        account = self.accounts.get(account_id)
        if account is None:
            raise _no_such("account", account_id, param)
        return account

    def _new_account(self, params: dict, account_id: str | None = None) -> dict:
        controller = dict(params.get("controller") or {})
        dashboard = (controller.get("stripe_dashboard") or {}).get("type")
        account_type = params.get("type") or {"express": "express", "full": "standard"}.get(
            dashboard, "custom" if controller else "express"
        )
        if controller:
            controller.update(is_controller=True, type="application")
        country = (params.get("country") or "US").upper()
        capabilities = {
            name: "inactive"
            for name, spec in (params.get("capabilities") or {}).items()
            if isinstance(spec, dict) and str(spec.get("requested")).lower() == "true"
        }
        account = {
            "id": account_id or new_id("acct"),
            "object": "account",
            "business_profile": params.get("business_profile") or {},
            "business_type": params.get("business_type"),
            "capabilities": capabilities,
            "charges_enabled": False,
            "controller": controller,
            "country": country,
            "created": int(time.time()),
            "default_currency": params.get("default_currency")
            or COUNTRY_CURRENCY.get(country, "eur"),
            "details_submitted": False,
            "email": params.get("email"),
            "livemode": False,
            "metadata": _clean_metadata(params.get("metadata") or {}),
            "payouts_enabled": False,
            "requirements": {
                "alternatives": [],
                "current_deadline": None,
                "currently_due": list(NEW_ACCOUNT_REQUIREMENTS),
                "disabled_reason": "requirements.past_due",
                "errors": [],
                "eventually_due": list(NEW_ACCOUNT_REQUIREMENTS),
                "past_due": list(NEW_ACCOUNT_REQUIREMENTS),
                "pending_verification": [],
            },
            "tos_acceptance": {"date": None},
            "type": account_type,
        }
        self.accounts[account["id"]] = account
        self._register(account["id"])
        return account

    def _set_enabled(self, account: dict) -> None:
        account["details_submitted"] = True
        account["charges_enabled"] = True
        account["payouts_enabled"] = True
        account["capabilities"]["transfers"] = "active"
        for name in account["capabilities"]:
            account["capabilities"][name] = "active"
        account["requirements"].update(
            currently_due=[], eventually_due=[], past_due=[], pending_verification=[],
            errors=[], disabled_reason=None,
        )
        account["tos_acceptance"] = {"date": int(time.time()), "ip": "127.0.0.1"}

    def _update_account(self, account: dict, apply: Callable[[dict], None]) -> dict:
        before = copy.deepcopy(account)
        apply(account)
        previous = {k: v for k, v in before.items() if account.get(k) != v}
        if previous:
            self._emit("account.updated", account, account=account["id"], previous=previous)
        return copy.deepcopy(account)

    def _api_create_account(self, ctx, params):
        return self._new_account(params)

    def _api_get_account(self, ctx, params, account_id):
        return self._account_or_raise(account_id)

    def _api_list_accounts(self, ctx, params):
        return self._paginate(list(self.accounts.values()), params, "/v1/accounts")

    def _api_update_account(self, ctx, params, account_id):
        account = self._account_or_raise(account_id)

        def apply(acct):
            if "metadata" in params:
                acct["metadata"] = _merge_metadata(acct["metadata"], params["metadata"])
            for name in ("email", "business_type", "default_currency"):
                if name in params:
                    acct[name] = params[name] or None
            if isinstance(params.get("business_profile"), dict):
                acct["business_profile"].update(params["business_profile"])

        return self._update_account(account, apply)

    def _api_create_account_link(self, ctx, params):
        for name in ("account", "type"):
            if not params.get(name):
                raise _missing(name)
        if params["type"] not in ("account_onboarding", "account_update"):
            raise _invalid(
                "Invalid type: must be one of account_onboarding or account_update",
                "parameter_invalid", "type", stored=False,
            )
        self._account_or_raise(params["account"], "account")
        link_id = new_id("acctlink")
        now = int(time.time())
        self.account_links[link_id] = {
            "account": params["account"],
            "refresh_url": params.get("refresh_url"),
            "return_url": params.get("return_url"),
            "type": params["type"],
            "expires_at": now + ACCOUNT_LINK_TTL,
            "used": False,
        }
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + ACCOUNT_LINK_TTL,
            "url": f"{self.base_url}/connect/onboarding/{link_id}",
        }

    # ---- onboarding pages (what an account link opens) ---------------------

    def handle_onboarding(self, method: str, link_id: str) -> Response:
        with self.lock:
            self._request_log.append(
                {"time": time.time(), "method": method, "path": f"/connect/onboarding/{link_id}",
                 "query": "", "idempotency_key": None, "stripe_account": None, "params": None,
                 "status": None, "replayed": False, "fault": None}
            )
            entry = self._request_log[-1]
            response = self._onboarding_locked(method, link_id)
            entry["status"] = response.status
            return response

    def _onboarding_locked(self, method: str, link_id: str) -> Response:
        link = self.account_links.get(link_id)
        if link is None:
            return _html(404, "<h1>Unknown or invalid onboarding link</h1>")
        if link["used"] or time.time() > link["expires_at"]:
            return _redirect(link["refresh_url"])
        account = self.accounts[link["account"]]
        if method == "POST":
            link["used"] = True
            self._update_account(account, self._set_enabled)
            return _redirect(link["return_url"])
        esc = html.escape
        body = f"""
<h1>Fake Stripe onboarding</h1>
<p>Account <code>{esc(account['id'])}</code> ({esc(account.get('email') or 'no e-mail')})</p>
<form method="post" action="/connect/onboarding/{esc(link_id)}">
  <button type="submit">Complete onboarding</button>
</form>
<p><a href="{esc(link['return_url'] or '')}">Leave</a> (back to the platform without finishing)</p>
<p><a href="{esc(link['refresh_url'] or '')}">Simulate an expired link</a></p>
"""
        return _html(200, body)


def _html(status: int, body: str) -> Response:
    page = (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<title>Fake Stripe onboarding</title></head><body>" + body + "</body></html>"
    )
    return Response(status, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


def _redirect(location: str | None) -> Response:
    if not location:
        return _html(400, "<h1>No URL to return to</h1>")
    return Response(303, b"", {"Location": location})
