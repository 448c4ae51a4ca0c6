from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AuditLogEntry, User


class AppendOnlyAdmin(admin.ModelAdmin):
    """For append-only tables (audit log, ledger, acceptances, decisions): readable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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

    list_display = ["created_at", "actor_label", "action", "program", "target_label", "ip_address"]
    list_filter = ["program", "action"]
    search_fields = ["actor_label", "action", "target_label", "target_id"]
    date_hierarchy = "created_at"
    list_select_related = ["program"]
