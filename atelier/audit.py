"""One-line audit logging for services: `audit.log(actor, "testers.feedback.accepted", feedback, before=..., after=...)`."""
from __future__ import annotations

import datetime
from typing import Any

from . import display
from .models import AuditLogEntry
from .money import format_money
from .permissions import PROGRAM_MODEL, is_model
from .requestcontext import current_ip

SECRET_KEYS = ("password", "token", "secret", "key", "iban", "account_number")


def _mask(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: ("***" if any(s in str(k).lower() for s in SECRET_KEYS) else _mask(v)) for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [_mask(v) for v in data]
    return data


def program_of(obj):
    """The program an object belongs to, following the usual paths (program, membership.program)."""
    if obj is None:
        return None
    if is_model(obj, PROGRAM_MODEL):
        return obj
    for path in ("program", "membership", "share_request", "feedback", "run", "payout"):
        related = getattr(obj, path, None)
        if related is not None and related is not obj:
            found = program_of(related)
            if found is not None:
                return found
    return None


def log(actor, action: str, target=None, *, program=None, before: dict | None = None,
        after: dict | None = None, ip: str | None = None, **data) -> AuditLogEntry:
    """Write one audit entry. `actor` is a User or None (a system task). `action` must be a registered name:
    an action's, or one registered with `atelier.actions.register_audit_name`."""
    from atelier.actions import AUDIT_NAMES  # atelier.actions imports this module: read the registry at call time

    if action not in AUDIT_NAMES:
        raise ValueError(f"{action!r} is not a registered action or audit name")
    payload = dict(data)
    if before is not None:
        payload["before"] = before
    if after is not None:
        payload["after"] = after
    if program is None:
        program = program_of(target)
    return AuditLogEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "email", "") or "system",
        action=action,
        program=program,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        ip_address=ip or current_ip(),
        data=_mask(payload),
    )


def log_many(actor, action: str, targets, *, program, after) -> list[AuditLogEntry]:
    """One entry per target, as log() writes them, in one INSERT (an action that creates many rows at once).
    `after(target)` gives each entry's "after" values."""
    from atelier.actions import AUDIT_NAMES  # atelier.actions imports this module: read the registry at call time

    if action not in AUDIT_NAMES:
        raise ValueError(f"{action!r} is not a registered action or audit name")
    ip = current_ip()
    return AuditLogEntry.objects.bulk_create([
        AuditLogEntry(
            actor=actor if getattr(actor, "pk", None) else None, actor_label=getattr(actor, "email", "") or "system",
            action=action, program=program, target_type=target._meta.label, target_id=str(target.pk),
            target_label=str(target)[:255], ip_address=ip, data=_mask({"after": after(target)}),
        )
        for target in targets
    ])


# --- showing an entry in words -------------------------------------------------------------------------

def _moment(value: str) -> str:
    """An ISO date or datetime stored in an entry's data, shown like every other date (or "" if it is not one)."""
    for parse in (datetime.date.fromisoformat, datetime.datetime.fromisoformat):
        try:
            parsed = parse(value)
        except ValueError:
            continue
        return display.format_when(parsed) if isinstance(parsed, datetime.datetime) else display.format_day(parsed)
    return ""


def describe_values(values, currency: str) -> list[tuple[str, str]]:
    """[(field, shown value)] of an entry's before/after dict: amounts in minor units are shown as money."""
    if not isinstance(values, dict):
        return []
    shown = []
    for field, value in values.items():
        if field.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
            shown.append((field.removesuffix("_minor").replace("_", " "), format_money(value, currency)))
        elif (field == "minutes" or field.endswith("_minutes")) and isinstance(value, int) and not isinstance(value, bool):
            shown.append((field.replace("_", " "), display.format_duration(value)))
        elif isinstance(value, str) and (field == "date" or field.endswith(("_date", "_at", "_until"))) and _moment(value):
            shown.append((field.replace("_", " "), _moment(value)))
        elif isinstance(value, (dict, list)):
            shown.append((field.replace("_", " "), ", ".join(str(v) for v in value) if isinstance(value, list)
                          else "; ".join(f"{k}: {v}" for k, v in value.items())))
        else:
            shown.append((field.replace("_", " "), "—" if value in (None, "") else str(value)))
    return shown


def describe(entry: AuditLogEntry, currency: str) -> dict:
    data = entry.data or {}
    currency = data.get("currency") or currency
    extra = {k: v for k, v in data.items() if k not in ("before", "after")}
    before = dict(describe_values(data.get("before"), currency))
    after = dict(describe_values(data.get("after"), currency))
    changes = [(field, before.get(field), after.get(field)) for field in dict.fromkeys([*before, *after])]
    return {"entry": entry, "label": entry.label, "changes": changes, "details": describe_values(extra, currency)}
