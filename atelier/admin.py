from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from .audit import describe
from .errors import DomainError
from .models import AuditLogEntry, Notification, NotificationPreference, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """The admin's default: readable, never added, changed or deleted here. A write a site admin needs is an
    admin action that runs the product's action (checked and audited): see `run_action_on`."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    """For append-only tables (audit log, ledger, acceptances, decisions)."""


def run_action_on(modeladmin, request, queryset, action_class, *, success: str, **params) -> int:
    """Run `action_class` as the signed-in site admin on each selected object; report refusals as messages
    (never a 500). Returns how many ran."""
    done = 0
    for obj in queryset:
        try:
            action_class(request.user, obj, **params).run()
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, success.format(count=done), messages.SUCCESS)
    return done


@admin.register(User)
class UserAdmin(ReadOnlyAdmin, DjangoUserAdmin):
    """Read-only: people join through invitations and sign-up; staff roles are granted by actions."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser", "last_login", "date_joined"]
    list_filter = ["is_active", "is_superuser", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(AppendOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["created_at", "actor_label", "label", "program", "target_label", "ip_address"]
    list_filter = ["program", "action"]
    search_fields = ["actor_label", "action", "target_label", "target_id"]
    date_hierarchy = "created_at"
    list_select_related = ["program"]
    fields = ["created_at", "actor_label", "label", "action", "program", "target_type", "target_id", "target_label",
              "ip_address", "changes"]
    readonly_fields = fields

    @admin.display(description="action", ordering="action")
    def label(self, entry):
        return entry.label

    @admin.display(description="what changed")
    def changes(self, entry):
        """Before → after and the details, in words, amounts as money (never raw minor units)."""
        row = describe(entry, entry.program.currency if entry.program else "")
        lines = [(field, f"{old} → {new}" if old is not None else new) for field, old, new in row["changes"]]
        lines += row["details"]
        return format_html_join(mark_safe("<br>"), "{}: {}", lines) or "—"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Who was told what, and how it was e-mailed (read-only: notifications are written by the event subscriber)."""

    list_display = ["created_at", "recipient", "title", "category", "email", "read_at"]
    list_filter = ["category", "email", "event"]
    search_fields = ["recipient__email", "title", "event"]
    list_select_related = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """Read-only: a person changes their own settings (audited as atelier.notification_settings.changed)."""

    list_display = ["user", "category", "delivery"]
    list_filter = ["category", "delivery"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
