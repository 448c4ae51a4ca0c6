"""Stripe's list objects: newest first, with ``limit``, ``starting_after`` and ``ending_before``."""

from __future__ import annotations

from ..protocol import _invalid


class Lists:
    """Mixed into ``FakeStripe``; objects are ordered by ``self._seq`` (see ``State._register``)."""

    def _paginate(self, items: list[dict], params: dict, url: str, ordered: bool = False) -> dict:
        """A Stripe list object, newest first, honouring limit/starting_after/ending_before."""
        limit = params.get("limit", 10)
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise _invalid("Invalid integer: limit", "parameter_invalid_integer", "limit", stored=False)
        if not 1 <= limit <= 100:
            raise _invalid(
                "This value must be between 1 and 100 (it is currently "
                f"{limit}).", "parameter_invalid_integer", "limit", stored=False,
            )
        if ordered:
            position = {obj["id"]: i for i, obj in enumerate(items)}
        else:
            position = self._seq
        items = sorted(items, key=lambda o: position[o["id"]], reverse=True)

        def cursor(name):
            obj_id = params[name]
            if obj_id not in position:
                raise _invalid(f"No such object: '{obj_id}'", "resource_missing", name, stored=False)
            return position[obj_id]

        if params.get("starting_after"):
            pos = cursor("starting_after")
            items = [o for o in items if position[o["id"]] < pos]
            page, has_more = items[:limit], len(items) > limit
        elif params.get("ending_before"):
            pos = cursor("ending_before")
            items = [o for o in items if position[o["id"]] > pos]
            page, has_more = items[-limit:], len(items) > limit
        else:
            page, has_more = items[:limit], len(items) > limit
        return {"object": "list", "data": page, "has_more": has_more, "url": url}
