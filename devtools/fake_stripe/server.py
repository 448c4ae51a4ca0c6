"""The fake Stripe server: ``FakeStripe`` puts the parts of this package together and runs them over HTTP.

It speaks enough of Stripe's v1 HTTP API (form-encoded requests, JSON
responses, Stripe's error shape, idempotency keys, list pagination) for the
official ``stripe`` library to work against it unchanged, keeps its state in
memory, and can inject faults (errors before or after execution, slow
responses) and rate limits.  Pure standard library: no Django imports.

Where each part lives:

- ``protocol.py``: ids, form decoding, responses and Stripe's error shape;
- ``state.py``: the objects, idempotency store and request log;
- ``api.py``: the /v1 request pipeline and route table;
- ``resources/``: accounts, transfers, balance, events, list pagination;
- ``faults.py``: injected faults and the rate limit;
- ``webhooks.py``: events, signing and delivery;
- ``handler.py``: the HTTP handler and the /_fake/ control endpoints.
"""

from __future__ import annotations

import queue
import threading
from http.server import ThreadingHTTPServer

from .api import Api
from .faults import Faults
from .handler import Handler
from .resources.accounts import Accounts
from .resources.balance import Balance
from .resources.events import Events
from .resources.lists import Lists
from .resources.transfers import Transfers
from .state import DEFAULT_BALANCE, DEFAULT_CURRENCIES, State
from .webhooks import Webhooks


class FakeStripe(State, Api, Faults, Webhooks, Accounts, Transfers, Balance, Events, Lists):
    """In-memory Stripe served over HTTP.

    ``FakeStripe().start()`` serves on a free port in a daemon thread; use
    ``.url`` as the StripeClient base address.  All state sits behind one lock.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit_per_second: float | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        initial_balance: dict | None = None,
        public_url: str | None = None,
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self.rate_limit_per_second = rate_limit_per_second
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.initial_balance = dict(
            initial_balance or {c: DEFAULT_BALANCE for c in DEFAULT_CURRENCIES}
        )
        self.public_url = public_url
        self.verbose = verbose
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._webhook_queue: queue.Queue = queue.Queue()
        self._webhook_thread: threading.Thread | None = None
        self._routes = self._build_routes()
        self._reset_state()

    # ---- lifecycle -------------------------------------------------------

    def start(self) -> "FakeStripe":
        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        self._webhook_thread = threading.Thread(
            target=self._webhook_worker, name="fake-stripe-webhooks", daemon=True
        )
        self._webhook_thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (used by ``__main__``)."""
        if self._server is None:
            self.start()
        try:
            while self._thread and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._webhook_thread is not None:
            self._webhook_queue.put(None)
            self._webhook_thread.join(2)
            self._webhook_thread = None

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The address put in account links (what a browser should open)."""
        return (self.public_url or self.url).rstrip("/")
