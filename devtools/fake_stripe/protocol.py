"""Stripe's wire format, as the fake speaks it: object ids, form-encoded request bodies, JSON responses,
Stripe's error shape, and the parameter checks every endpoint shares."""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

# The Stripe API version the fake speaks: the gateway's pin (payments/stripe_gateway.py) and the version of
# the OpenAPI spec tests/payments/test_stripe_contract.py checks; a test there fails if the three differ.
API_VERSION = "2026-05-27.dahlia"

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "_1" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(23))


# --------------------------------------------------------------------------
# Form decoding


def _split_key(key: str) -> list[str]:
    """``a[b][c]`` -> ``["a", "b", "c"]``; ``expand[]`` -> ``["expand", ""]``."""
    head, sep, rest = key.partition("[")
    parts = [head]
    if sep:
        parts.extend(re.findall(r"([^\[\]]*)\]", "[" + rest))
    return parts


def _listify(value: Any, key: str = "") -> Any:
    # The stripe library encodes arrays as key[0], key[1], ...; metadata keys
    # are free-form, so a metadata hash is never taken for an array.
    if isinstance(value, dict):
        value = {k: _listify(v, k) for k, v in value.items()}
        if key != "metadata" and value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
    return value


def parse_form(body: str | bytes) -> dict:
    """Decode a Stripe-style form body into nested dicts and lists.

    Values stay strings, as Stripe receives them.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    result: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = _split_key(key)
        node = result
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if nxt == "":
                node = node.setdefault(part, [])
                break
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"conflicting form keys at {key!r}")
        else:
            node[parts[-1]] = value
            continue
        node.append(value)
    return _listify(result)


# --------------------------------------------------------------------------
# Responses and errors


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: dict | None = None) -> "Response":
        return cls(
            status,
            json.dumps(obj).encode("utf-8"),
            {"Content-Type": "application/json", **(headers or {})},
        )


class StripeError(Exception):
    """An error answered in Stripe's shape.

    ``stored`` says whether the endpoint had started executing, i.e. whether
    Stripe would save it under the idempotency key (parameter validation
    failures are not saved).
    """

    def __init__(self, status, type, message, code=None, param=None, stored=True):
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.stored = stored

    def body(self) -> dict:
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}

    def response(self) -> Response:
        return Response.json(self.status, self.body())


def _invalid(message, code=None, param=None, stored=True, status=400):
    return StripeError(status, "invalid_request_error", message, code, param, stored)


def _missing(param):
    return _invalid(f"Missing required param: {param}.", "parameter_missing", param, stored=False)


def _no_such(kind, obj_id, param="id"):
    return _invalid(f"No such {kind}: '{obj_id}'", "resource_missing", param, status=404)


def _error_type_for(status: int) -> str:
    # The spec's error type enum is api_error, card_error, idempotency_error, invalid_request_error: Stripe
    # sends a 429 as invalid_request_error (code rate_limit), and a 5xx as api_error.
    if status >= 500:
        return "api_error"
    if status == 402:
        return "card_error"
    return "invalid_request_error"


def rate_limit_error(message: str | None = None) -> StripeError:
    """Stripe's 429 (stripe-python raises RateLimitError for the status, whatever the body's type)."""
    return StripeError(
        429,
        "invalid_request_error",
        message or "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        "rate_limit",
        stored=False,
    )


def key_in_use_error(key: str | None = None) -> StripeError:
    """Stripe's 409 for a request whose idempotency key another request is still executing (never stored;
    stripe-python retries a 409 itself when its own retries are on)."""
    return StripeError(
        409,
        "invalid_request_error",
        "There is currently another in-progress request using this Idempotent Key (that probably means "
        f"you submitted twice, and the other request is still going through): {key or ''}. "
        "Please try again later.",
        "idempotency_key_in_use",
        stored=False,
    )


# --------------------------------------------------------------------------
# Parameter checks


def _positive_int(value: Any, param: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid integer: {value}", "parameter_invalid_integer", param, stored=False)
    if number <= 0:
        raise _invalid(
            f"Invalid positive integer: {value}", "parameter_invalid_integer", param, stored=False
        )
    return number


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise _invalid(f"Invalid currency: {value}", "parameter_invalid", "currency", stored=False)
    return value.lower()


def _clean_metadata(metadata: Any) -> dict:
    if not isinstance(metadata, dict):
        raise _invalid("Invalid metadata: must be a hash", "parameter_invalid", "metadata", stored=False)
    return {str(k): str(v) for k, v in metadata.items() if v != ""}


def _merge_metadata(current: dict, update: Any) -> dict:
    # Stripe: metadata="" clears all keys, metadata[key]="" removes one key.
    if update == "":
        return {}
    merged = dict(current)
    for k, v in (update or {}).items():
        if v == "":
            merged.pop(k, None)
        else:
            merged[k] = str(v)
    return merged


def _created_matches(created: int, spec: Any) -> bool:
    try:
        if isinstance(spec, dict):
            ops = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
            return all(ops[op](created, int(v)) for op, v in spec.items() if op in ops)
        return created == int(spec)
    except (TypeError, ValueError):
        raise _invalid("Invalid integer in created filter", "parameter_invalid_integer", "created", stored=False)


def _deep_merge(target: dict, update: dict) -> None:
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _deep_merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)
