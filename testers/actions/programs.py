"""Programs and staff roles. A site admin creates programs and changes any field (in the Django admin); a
program's managers change its settings (`testers.program.settings_changed`) and its team (invite, change a
role, revoke) on the staff pages, as a site admin can."""
from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from atelier import bounds
from atelier.money import format_money
from atelier.permissions import forget_roles
from testers.models import Program, StaffRole

from .base import TestersAction

PROGRAM_FIELDS = ("name", "slug", "currency", "status", "description", "review_sla_days", "deadline_policy",
                  "appeal_sla_days", "watermark_text", "credit_text", "reporting_threshold_minor",
                  "terms_notice_days", "fair_pay_floor_hourly_minor", "max_amount_minor", "changelog_public")

#: What a program's managers change on its settings page (the rest is the site admin's: name, slug, currency...).
SETTINGS_FIELDS = ("review_sla_days", "deadline_policy", "appeal_sla_days", "watermark_text", "credit_text",
                   "reporting_threshold_minor", "terms_notice_days", "fair_pay_floor_hourly_minor", "changelog_public")

#: Bounds of the settings (the form offers the same): a deadline of 1 to 60 days, a notice of 0 to 365 days.
DEADLINE_DAYS = (1, 60)
NOTICE_DAYS = (0, 365)
WATERMARK_MAX = 80
CREDIT_MAX = 120


def settings_refusal(program, values: dict) -> str | None:
    """Why these settings cannot be saved for `program` (the form's bounds, checked again for every caller)."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Program settings {sorted(unknown)} cannot be changed here")
    for name, words in (("review_sla_days", "review deadline"), ("appeal_sla_days", "appeal deadline")):
        if name in values and not (isinstance(values[name], int)
                                   and DEADLINE_DAYS[0] <= values[name] <= DEADLINE_DAYS[1]):
            return f"The {words} is between {DEADLINE_DAYS[0]} and {DEADLINE_DAYS[1]} days."
    if "terms_notice_days" in values and not (isinstance(values["terms_notice_days"], int)
                                              and NOTICE_DAYS[0] <= values["terms_notice_days"] <= NOTICE_DAYS[1]):
        return f"The terms notice period is between {NOTICE_DAYS[0]} and {NOTICE_DAYS[1]} days."
    if "changelog_public" in values and not isinstance(values["changelog_public"], bool):
        return "Say whether the program publishes a changelog: yes or no."
    if "deadline_policy" in values and values["deadline_policy"] not in Program.DeadlinePolicy.values:
        return "Choose what happens at the deadline: deemed approved or escalated to the program manager."
    if len(values.get("watermark_text") or "") > WATERMARK_MAX:
        return f"The watermark text is at most {WATERMARK_MAX} characters."
    if len(values.get("credit_text") or "") > CREDIT_MAX:
        return f"The credit text is at most {CREDIT_MAX} characters."
    for name, words in (("reporting_threshold_minor", "year-end reporting threshold"),
                        ("fair_pay_floor_hourly_minor", "fair-pay floor")):
        amount = values.get(name)
        if amount is None:
            continue
        if not isinstance(amount, int) or amount < 0:
            return f"The {words} is a whole, non-negative amount."
        limit = bounds.BIG_AMOUNT_MAX if name == "reporting_threshold_minor" else program.max_amount_minor
        if amount > limit:
            return f"The {words} is at most {format_money(limit, program.currency)}."
    return None


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


class ChangeProgramSettings(TestersAction):
    """A manager changes the program's settings: review and appeal deadlines, deadline policy, watermark and
    credit text, year-end threshold, terms notice period, fair-pay floor, the public changelog. Params: any of SETTINGS_FIELDS. The
    audit entry holds before/after of the fields that changed."""

    name = "testers.program.settings_changed"
    label = "changed program settings"
    model = Program
    permission = "program.manage"

    def refusal(self, program):
        values = {name: value for name, value in self.params.items()}
        for name in ("watermark_text", "credit_text"):
            if name in values:
                values[name] = (values[name] or "").strip()
        reason = settings_refusal(program, values)
        if reason:
            return reason
        if not any(getattr(program, name) != value for name, value in values.items()):
            return "Nothing to save: no setting changed."
        return None

    def apply(self, program):
        values = dict(self.params)
        for name in ("watermark_text", "credit_text"):
            if name in values:
                values[name] = (values[name] or "").strip()
        self.change(program, **values)


def _role_label(role: str) -> str:
    return StaffRole.Role(role).label.lower() if role in StaffRole.Role.values else role


def _last_manager(staff_role: StaffRole) -> bool:
    return (staff_role.role == StaffRole.Role.MANAGER
            and not StaffRole.objects.filter(program_id=staff_role.program_id, role=StaffRole.Role.MANAGER)
            .exclude(pk=staff_role.pk).exists())


LAST_MANAGER = "A program keeps at least one manager: make someone else manager first."


class InviteStaff(TestersAction):
    """A manager (or a site admin) adds a person to the program's team by e-mail, with a role. Params: program,
    email, role.

    A person with an account gets the role at once and an e-mail saying so. For an unknown address an account is
    created, with no password and the address marked verified, and the e-mail carries a link to choose a
    password (the password-reset link: following it proves the address, as an artist's invitation link does).
    Like every staff member, they then set up two-factor authentication before any staff page opens."""

    name = "testers.staff_role.invited"
    label = "invited a staff member"
    permission = "staff_role.manage"

    def _email(self) -> str:
        return (self.params.get("email") or "").strip().lower()

    def _user(self):
        email = self._email()
        return get_user_model().objects.filter(email__iexact=email).first() if email else None

    def refusal(self, obj):
        program, role, email = self.params.get("program"), self.params.get("role"), self._email()
        if program is None:
            return "Choose a program."
        if not email:
            return "Give the person's e-mail address."
        try:
            validate_email(email)
        except ValidationError:
            return f"{email} is not an e-mail address."
        if role not in StaffRole.Role.values:
            return "Choose a role: program manager, reviewer or finance."
        user = self._user()
        if user is not None:
            if not user.is_active:
                return f"{user.email}'s account is deactivated; a site admin can reactivate it."
            if StaffRole.objects.filter(user=user, program=program, role=role).exists():
                return f"{user.email} is already {_role_label(role)} of {program.name}."
        return None

    def apply(self, obj):
        program, role, email = self.params["program"], self.params["role"], self._email()
        user = self._user()
        created = user is None
        if created:
            user = get_user_model().objects.create(email=email)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        staff_role = StaffRole.objects.create(user=user, program=program, role=role)
        self.after = {"user": user.email, "role": role}
        self.audit_data["account"] = "created" if created else "existing"
        forget_roles(user)
        from testers.tasks import send_staff_invitation_email  # the task module imports the actions: when called

        send_staff_invitation_email.delay(staff_role.pk, created)  # transaction-aware: sent after commit
        return staff_role

    def audit_program(self, obj, result):
        return self.params["program"]


class ChangeStaffRole(TestersAction):
    """Give a team member another role in place of this one. Params: role."""

    name = "testers.staff_role.changed"
    label = "changed staff role"
    model = StaffRole
    permission = "staff_role.manage"
    select_related = ("user", "program")

    def refusal(self, staff_role):
        role = self.params.get("role")
        if role not in StaffRole.Role.values:
            return "Choose a role: program manager, reviewer or finance."
        if role == staff_role.role:
            return f"{staff_role.user.email} is already {_role_label(role)}."
        if StaffRole.objects.filter(user_id=staff_role.user_id, program_id=staff_role.program_id, role=role).exists():
            return (f"{staff_role.user.email} already holds the {_role_label(role)} role here; revoke this one "
                    f"instead.")
        if _last_manager(staff_role):
            return LAST_MANAGER
        return None

    def apply(self, staff_role):
        self.change(staff_role, role=self.params["role"])
        self.audit_data["user"] = staff_role.user.email
        forget_roles(staff_role.user)


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

    def refusal(self, staff_role):
        if _last_manager(staff_role):
            return LAST_MANAGER
        return None

    def apply(self, staff_role):
        self.before = {"user": staff_role.user.email, "role": staff_role.role}
        self.audit_data["staff_role_id"] = staff_role.pk
        self._program = staff_role.program
        staff_role.delete()
        forget_roles(staff_role.user)

    def audit_target(self, obj, result):
        return self._program


__all__ = [
    "ChangeProgramSettings", "ChangeStaffRole", "CreateProgram", "GrantStaffRole", "InviteStaff", "LAST_MANAGER",
    "PROGRAM_FIELDS", "RevokeStaffRole", "SETTINGS_FIELDS", "UpdateProgram", "settings_refusal",
]
