"""The Django admin for the testers app: read-only by default. A site admin's writes are admin actions that run
the product's actions (checked and audited): create and change programs, grant and revoke staff roles, change a
membership's status, resend or revoke invitations, accept feedback, approve or correct a time log. Fields the
actions guard (a membership's status, a log's minutes and date, feedback kind and severity) are never editable
here."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils import timezone

from atelier import bounds
from atelier.admin import AppendOnlyAdmin, ReadOnlyAdmin
from atelier.display import format_day, format_duration
from atelier.errors import DomainError
from atelier.permissions import is_site_admin

from . import actions
from .models import (
    ArtistProfile, Clause, Feedback, FeedbackAttachment, FeedbackEvent, Invitation, Membership, Milestone,
    Program, StaffRole, TermsAcceptance, TermsVersion, TimeLog,
)


def _run_each(modeladmin, request, queryset, make_action, success: str) -> int:
    """Run the action `make_action(obj)` on each selected object; refusals become messages, the rest still run."""
    done = 0
    for obj in queryset:
        try:
            make_action(obj).run()
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, success.format(count=done), messages.SUCCESS)
    return done


def _intermediate(modeladmin, request, queryset, *, action: str, title: str, form, intro: str = "", rows=()):
    """The page an admin action shows to ask for its parameters (e.g. the e-mail and role to grant)."""
    context = {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form, "queryset": queryset,
        "action": action, "intro": intro, "rows": rows, "opts": modeladmin.model._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/testers/action_form.html", context)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- programs and staff roles --------------------------------------------------------------------------------

class GrantStaffRoleForm(forms.Form):
    email = forms.EmailField(label="E-mail of the person", help_text="They must already have an account.")
    role = forms.ChoiceField(label="Role", choices=StaffRole.Role.choices)


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin):
    """Programs are created and changed through the actions `testers.program.created` / `.updated`; staff roles
    are granted by the admin action below (`testers.staff_role.grant`) and revoked from the staff roles list."""

    list_display = ["name", "slug", "status", "currency", "review_sla_days", "deadline_policy", "created_at"]
    list_filter = ["status", "currency", "deadline_policy"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["staff"]
    actions = ["grant_staff_role"]

    @admin.display(description="Staff roles (grant from the programs list, revoke from the staff roles list)")
    def staff(self, program):
        if program.pk is None:
            return "—"
        roles = program.staff_roles.select_related("user").order_by("role", "user__email")
        return "; ".join(f"{r.user.email} ({r.get_role_display()})" for r in roles) or "None yet."

    def has_add_permission(self, request):
        return is_site_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_site_admin(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "max_amount_minor" in form.base_fields:
            form.base_fields["max_amount_minor"].required = False  # empty keeps the default (or the current value)
        return form

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in actions.PROGRAM_FIELDS}
        try:
            if change:
                actions.UpdateProgram(request.user, obj, **values).run()
            else:
                values = {name: form.cleaned_data[name] for name in actions.PROGRAM_FIELDS if name in form.cleaned_data}
                created = actions.CreateProgram(request.user, **values).run()
                obj.pk = created.pk
                obj._state.adding = False
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)

    @admin.action(description="Grant a staff role in the selected programs")
    def grant_staff_role(self, request, queryset):
        form = GrantStaffRoleForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
            role = form.cleaned_data["role"]
            _run_each(self, request, queryset,
                      lambda program: actions.GrantStaffRole(request.user, program=program, user=user, role=role),
                      f"{StaffRole.Role(role).label} role granted to {form.cleaned_data['email']} in {{count}} program(s).")
            return None
        rows = StaffRole.objects.filter(program__in=queryset).select_related("user", "program").order_by(
            "program__name", "user__email")
        return _intermediate(self, request, queryset, action="grant_staff_role", title="Grant a staff role",
                             form=form, rows=[(r.program.name, r.user.email, r.get_role_display()) for r in rows],
                             intro="The person gets the role in each selected program (audited). They must set up "
                                   "two-factor authentication before they reach staff pages.")


@admin.register(StaffRole)
class StaffRoleAdmin(ReadOnlyAdmin):
    list_display = ["user", "program", "role", "created_at"]
    list_filter = ["role", "program"]
    search_fields = ["user__email", "program__name"]
    list_select_related = ["user", "program"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected staff roles")
    def revoke(self, request, queryset):
        _run_each(self, request, queryset, lambda role: actions.RevokeStaffRole(request.user, role),
                  "{count} staff role(s) revoked.")


# --- artists and memberships ----------------------------------------------------------------------------------

@admin.register(ArtistProfile)
class ArtistProfileAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "user", "country", "pronouns", "credit_line", "created_at"]
    list_filter = ["country"]
    search_fields = ["display_name", "legal_name", "user__email"]
    list_select_related = ["user"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["artist", "program", "status", "cohort", "joined_at", "status_changed_at"]
    list_filter = ["status", "program", "cohort"]
    search_fields = ["artist__display_name", "artist__user__email"]
    list_select_related = ["artist", "program"]
    actions = ["activate", "pause", "remove"]

    def _move(self, request, queryset, status, verb):
        _run_each(self, request, queryset.select_related("artist__user", "program"),
                  lambda m: actions.status_action(m, status)(request.user, m, note="Changed in the admin."),
                  f"{{count}} membership(s) {verb}.")

    @admin.action(description="Activate the selected memberships (or reactivate removed ones)")
    def activate(self, request, queryset):
        self._move(request, queryset, Membership.Status.ACTIVE, "activated")

    @admin.action(description="Pause the selected memberships")
    def pause(self, request, queryset):
        self._move(request, queryset, Membership.Status.PAUSED, "paused")

    @admin.action(description="Remove the selected memberships (every record stays)")
    def remove(self, request, queryset):
        self._move(request, queryset, Membership.Status.REMOVED, "removed")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "name", "program", "status", "cohort", "expires_at", "sent_count", "created_at"]
    list_filter = ["status", "program"]
    search_fields = ["email", "name"]
    exclude = ["token"]
    list_select_related = ["program"]
    actions = ["resend", "revoke"]

    @admin.action(description="Resend the selected invitations (new link)")
    def resend(self, request, queryset):
        _run_each(self, request, queryset, lambda obj: actions.ResendInvitation(request.user, obj),
                  "{count} invitation(s) resent.")

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request, queryset):
        _run_each(self, request, queryset, lambda obj: actions.RevokeInvitation(request.user, obj),
                  "{count} invitation(s) revoked.")


# --- terms -----------------------------------------------------------------------------------------------------

class ClauseInline(ReadOnlyInline):
    model = Clause
    fields = ["position", "key", "klass", "title", "text", "examples", "ends_on", "ends_at_milestone", "ended_at"]
    readonly_fields = fields


@admin.register(TermsVersion)
class TermsVersionAdmin(ReadOnlyAdmin):
    """Read-only: managers draft, edit and publish terms on the staff pages (actions `testers.terms.*`)."""

    list_display = ["program", "number", "status", "effective_date", "published_at"]
    list_filter = ["status", "program"]
    search_fields = ["program__name", "summary"]
    inlines = [ClauseInline]
    list_select_related = ["program"]


@admin.register(Clause)
class ClauseAdmin(ReadOnlyAdmin):
    list_display = ["title", "klass", "terms_version", "position", "key", "ends_on", "ends_at_milestone", "ended_at"]
    list_filter = ["klass", "terms_version__program"]
    search_fields = ["title", "text", "key"]
    list_select_related = ["terms_version__program", "ends_at_milestone"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    """Read-only: managers create and announce milestones on the staff pages (actions `testers.milestone.*`)."""

    list_display = ["name", "program", "status", "created_at", "announced_at", "announced_by"]
    list_filter = ["status", "program"]
    search_fields = ["name", "program__name"]
    list_select_related = ["program", "announced_by"]


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(AppendOnlyAdmin):
    list_display = ["membership", "terms_version", "accepted_at", "ip_address", "text_hash"]
    list_filter = ["terms_version__program"]
    search_fields = ["membership__artist__display_name", "membership__artist__user__email"]
    list_select_related = ["membership__artist", "membership__program", "terms_version__program"]


# --- feedback ----------------------------------------------------------------------------------------------------

class FeedbackEventInline(ReadOnlyInline):
    model = FeedbackEvent
    fields = ["author", "kind", "from_status", "to_status", "message", "created_at"]
    readonly_fields = fields


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "severity", "status", "membership", "created_at"]
    list_filter = ["status", "kind", "severity", "membership__program"]
    search_fields = ["title", "body", "membership__artist__display_name"]
    list_select_related = ["membership__artist", "membership__program"]
    inlines = [FeedbackEventInline]
    actions = ["accept"]

    @admin.action(description="Accept the selected feedback (it is then paid)")
    def accept(self, request, queryset):
        _run_each(self, request, queryset, lambda obj: actions.AcceptFeedback(request.user, obj),
                  "{count} accepted.")


@admin.register(FeedbackAttachment)
class FeedbackAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "feedback", "width", "height", "created_at"]
    search_fields = ["original_name", "feedback__title"]
    list_select_related = ["feedback"]


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(ReadOnlyAdmin):
    list_display = ["feedback", "kind", "from_status", "to_status", "author", "created_at"]
    list_filter = ["kind", "to_status"]
    search_fields = ["feedback__title", "message"]
    list_select_related = ["feedback", "author"]


# --- testing time --------------------------------------------------------------------------------------------

class CorrectTimeLogForm(forms.Form):
    date = bounds.BoundedDateField(label="Day of the session", widget=forms.DateInput(attrs={"type": "date"}),
                                   earliest=bounds.EARLIEST_DATE, latest=bounds.today)
    minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=24 * 60)
    reason = forms.CharField(label="Reason for the correction", max_length=500,
                             help_text="Kept in the audit log; an approved log's earnings are mended by payments.")


@admin.register(TimeLog)
class TimeLogAdmin(ReadOnlyAdmin):
    list_display = ["membership", "date", "minutes", "status", "decided_by", "decided_at"]
    list_filter = ["status", "membership__program", "date"]
    search_fields = ["membership__artist__display_name", "description"]
    list_select_related = ["membership__artist", "membership__program", "decided_by"]
    actions = ["approve", "correct"]

    @admin.action(description="Approve the selected time logs (they are then paid)")
    def approve(self, request, queryset):
        _run_each(self, request, queryset, lambda obj: actions.ApproveTimeLog(request.user, obj),
                  "{count} approved.")

    @admin.action(description="Correct the minutes or date of the selected time log")
    def correct(self, request, queryset):
        logs = list(queryset[:2])
        if len(logs) != 1:
            self.message_user(request, "Select exactly one time log to correct.", messages.WARNING)
            return None
        log = logs[0]
        form = CorrectTimeLogForm(request.POST if "apply" in request.POST else None,
                                  initial={"date": log.date, "minutes": log.minutes})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            _run_each(self, request, [log],
                      lambda obj: actions.CorrectTimeLog(request.user, obj, minutes=data["minutes"],
                                                         date=data["date"], reason=data["reason"]),
                      "Time log corrected.")
            return None
        return _intermediate(self, request, queryset, action="correct", title="Correct a time log", form=form,
                             intro=f"{log.membership}: {format_duration(log.minutes)} on {format_day(log.date)} "
                                   f"({log.get_status_display().lower()}). Today is {format_day(timezone.localdate())}.")
