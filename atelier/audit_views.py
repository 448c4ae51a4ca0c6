"""The program's audit log for its managers: who did what, in the product's words, with money formatted."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from atelier.actions import AUDIT_NAMES, RETIRED_NAMES
from atelier.audit import describe
from atelier.models import AuditLogEntry
from atelier.pagination import paginate
from atelier.permissions import get_program_for


@login_required
def program_audit_log(request, slug):
    program = get_program_for(request.user, "audit.view", slug)
    entries = AuditLogEntry.objects.filter(program=program).select_related("actor").order_by("-created_at", "-id")
    action = request.GET.get("action", "")
    if action not in AUDIT_NAMES and action not in RETIRED_NAMES:
        action = ""  # only a name the log can hold (never a NUL byte, which PostgreSQL refuses in a query)
    if action:
        entries = entries.filter(action=action)
    page_obj = paginate(request, entries)
    return render(request, "audit/program_log.html", {
        "program": program, "page_obj": page_obj, "action": action,
        "rows": [describe(entry, program.currency) for entry in page_obj],
    })
