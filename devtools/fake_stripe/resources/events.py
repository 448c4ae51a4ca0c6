"""GET /v1/events and /v1/events/<id>: the events the fake recorded (see ``webhooks.py``)."""

from __future__ import annotations

from ..protocol import _created_matches, _no_such


class Events:
    """Mixed into ``FakeStripe``."""

    def _api_list_events(self, ctx, params):
        items = self.events
        if params.get("type"):
            items = [e for e in items if e["type"] == params["type"]]
        if "created" in params:
            items = [e for e in items if _created_matches(e["created"], params["created"])]
        # Events are not registered with a sequence number: keep list order.
        return self._paginate(items, params, "/v1/events", ordered=True)

    def _api_get_event(self, ctx, params, event_id):
        for event in self.events:
            if event["id"] == event_id:
                return event
        raise _no_such("event", event_id)
