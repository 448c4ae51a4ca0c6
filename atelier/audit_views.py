"""The program's audit log for its managers: who did what, in the product's words, with money formatted."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from atelier.models import AuditLogEntry
from atelier.money import format_money
from atelier.pagination import paginate
from atelier.permissions import get_program_for


def describe_values(values, currency: str) -> list[tuple[str, str]]:
    """[(field, shown value)] of an entry's before/after dict: amounts in minor units are shown as money."""
    if not isinstance(values, dict):
        return []
    shown = []
    for field, value in values.items():
        if field.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
            shown.append((field.removesuffix("_minor").replace("_", " "), format_money(value, currency)))
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


@login_required
def program_audit_log(request, slug):
    program = get_program_for(request.user, "audit.view", slug)
    entries = AuditLogEntry.objects.filter(program=program).select_related("actor").order_by("-created_at", "-id")
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action=action)
    page_obj = paginate(request, entries)
    return render(request, "audit/program_log.html", {
        "program": program, "page_obj": page_obj, "action": action,
        "rows": [describe(entry, program.currency) for entry in page_obj],
    })
