"""HTTP plumbing: the request handler that routes /v1 to the API, /connect/onboarding/ to the onboarding
pages, and /_fake/ to the control endpoints a separate process (``make run``, a browser test) uses."""

from __future__ import annotations

import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .protocol import API_VERSION, Response, StripeError, _invalid, new_id

if TYPE_CHECKING:
    from .server import FakeStripe


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeStripe/1.0"
    # Headers and body go out in two writes; without this, Nagle + delayed ACK
    # add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    @property
    def fake(self) -> FakeStripe:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format, *args):
        if self.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        delay = 0.0
        try:
            if path.startswith("/_fake/"):
                response = self._control(method, path, body)
            elif path.startswith("/connect/onboarding/") and method in ("GET", "POST"):
                response = self.fake.handle_onboarding(method, path.rsplit("/", 1)[-1])
            elif path.startswith("/v1/"):
                response, delay = self.fake.handle_api(method, path, parts.query, body, self.headers)
            else:
                response = _invalid(
                    f"Unrecognized request URL ({method}: {path}).", status=404
                ).response()
        except Exception as exc:  # a bug in the fake: answer like Stripe's 500
            response = StripeError(500, "api_error", f"Fake Stripe internal error: {exc!r}").response()
        if delay:
            time.sleep(delay)
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            headers = {"Request-Id": new_id("req"), "Stripe-Version": API_VERSION, **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during an injected delay).
            self.close_connection = True

    def _control(self, method: str, path: str, body: bytes) -> Response:
        fake = self.fake
        try:
            data = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return Response.json(400, {"error": "body must be JSON"})
        try:
            if path == "/_fake/faults" and method == "POST":
                fault = fake.inject_fault(**data)
                return Response.json(200, fault.as_dict())
            if path == "/_fake/faults" and method == "DELETE":
                fake.clear_faults()
                return Response.json(200, {"ok": True})
            if path == "/_fake/faults" and method == "GET":
                return Response.json(200, fake.state()["faults"])
            if path == "/_fake/reset" and method == "POST":
                fake.reset()
                return Response.json(200, {"ok": True})
            if path == "/_fake/state" and method == "GET":
                return Response.json(200, fake.state())
            if path == "/_fake/balance" and method == "POST":
                fake.set_balance(data["currency"], data["amount"])
                return Response.json(200, fake.balance())
            if path == "/_fake/webhook" and method == "POST":
                fake.configure_webhooks(data.get("url"), data.get("secret"))
                return Response.json(200, {"ok": True})
            if path == "/_fake/accounts" and method == "POST":
                return Response.json(200, fake.create_account(**data))
            match = re.fullmatch(r"/_fake/accounts/([^/]+)(?:/(enable|disable))?", path)
            if match and method == "POST":
                account_id, action = match.groups()
                if action == "enable":
                    return Response.json(200, fake.enable_account(account_id))
                if action == "disable":
                    return Response.json(200, fake.disable_account(account_id, **data))
                return Response.json(200, fake.update_account(account_id, **data))
            if path == "/_fake/transfers" and method == "POST":
                return Response.json(200, fake.import_transfer(**data))
            match = re.fullmatch(r"/_fake/transfers/([^/]+)/reverse", path)
            if match and method == "POST":
                return Response.json(200, fake.reverse_transfer(match.group(1), data.get("amount")))
        except StripeError as error:
            return error.response()
        except (TypeError, ValueError, KeyError) as exc:
            return Response.json(400, {"error": f"bad control request: {exc!r}"})
        return Response.json(404, {"error": f"unknown control endpoint {method} {path}"})
