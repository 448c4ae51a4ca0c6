"""Programs and staff roles: created, changed, granted and revoked by a site admin (in the Django admin)."""
from __future__ import annotations

from atelier.permissions import forget_roles
from testers.models import Program, StaffRole

from .base import TestersAction

PROGRAM_FIELDS = ("name", "slug", "currency", "status", "description", "review_sla_days", "deadline_policy",
                  "watermark_text", "reporting_threshold_minor", "terms_notice_days",
                  "max_amount_minor")


def _program_values(params) -> dict:
    unknown = set(params) - set(PROGRAM_FIELDS)
    if unknown:
        raise ValueError(f"Program fields {sorted(unknown)} cannot be set here")
    values = {name: value for name, value in params.items() if not (name == "max_amount_minor" and value is None)}
    if "currency" in values:
        values["currency"] = (values["currency"] or "").upper()
    return values


class CreateProgram(TestersAction):
    name = "testers.program.created"
    label = "created program"
    permission = "program.create"

    def apply(self, obj):
        values = _program_values(self.params)
        program = Program.objects.create(**values)
        self.after = {k: v for k, v in values.items() if v not in (None, "")}
        return program


class UpdateProgram(TestersAction):
    """Change a program's settings (name, currency, review deadline, policy...)."""

    name = "testers.program.updated"
    label = "changed program settings"
    model = Program
    permission = "program.manage"

    def apply(self, program):
        self.change(program, **_program_values(self.params))


class GrantStaffRole(TestersAction):
    """Give a person a staff role in a program. Params: user, program, role. The only way to add a staff role."""

    name = "testers.staff_role.grant"
    label = "granted staff role"
    permission = "staff_role.manage"


    def refusal(self, obj):
        user, program, role = self.params.get("user"), self.params.get("program"), self.params.get("role")
        if program is None:
            return "Choose a program."
        if user is None:
            return "No account has this e-mail address; the person signs up (or is created) first."
        if not user.is_active:
            return f"{user.email}'s account is deactivated."
        if role not in StaffRole.Role.values:
            return "Choose a role: program manager, reviewer or finance."
        if StaffRole.objects.filter(user=user, program=program, role=role).exists():
            return f"{user.email} is already {StaffRole.Role(role).label.lower()} of {program.name}."
        return None

    def apply(self, obj):
        user, program, role = self.params["user"], self.params["program"], self.params["role"]
        staff_role = StaffRole.objects.create(user=user, program=program, role=role)
        self.after = {"user": user.email, "role": role}
        forget_roles(user)
        return staff_role

    def audit_program(self, obj, result):
        return self.params["program"]


class RevokeStaffRole(TestersAction):
    """Take a staff role away (the row is deleted; the audit entry keeps who held what)."""

    name = "testers.staff_role.revoke"
    label = "revoked staff role"
    model = StaffRole
    permission = "staff_role.manage"
    select_related = ("user", "program")

    def apply(self, staff_role):
        self.before = {"user": staff_role.user.email, "role": staff_role.role}
        self.audit_data["staff_role_id"] = staff_role.pk
        self._program = staff_role.program
        staff_role.delete()
        forget_roles(staff_role.user)

    def audit_target(self, obj, result):
        return self._program


__all__ = ["CreateProgram", "GrantStaffRole", "PROGRAM_FIELDS", "RevokeStaffRole", "UpdateProgram"]
