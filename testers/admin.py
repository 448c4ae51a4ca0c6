from django import forms
from django.contrib import admin, messages

from atelier.admin import AppendOnlyAdmin
from atelier.errors import DomainError

from .models import (
    ArtistProfile, Clause, Feedback, FeedbackAttachment, FeedbackEvent, Invitation, Membership, Program,
    StaffRole, TermsAcceptance, TermsVersion, TimeLog,
)


def _each(request, queryset, action, verb):
    """Run a service on each selected object; rule refusals become messages, the rest still run."""
    done = 0
    for obj in queryset:
        try:
            action(obj)
        except DomainError as error:
            messages.warning(request, f"{obj}: {error}")
        else:
            done += 1
    if done:
        messages.success(request, f"{done} {verb}.")


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "currency", "review_sla_days", "deadline_policy", "created_at"]
    list_filter = ["status", "currency", "deadline_policy"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StaffRoleInline]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "role", "created_at"]
    list_filter = ["role", "program"]
    search_fields = ["user__email", "program__name"]
    autocomplete_fields = ["user", "program"]
    list_select_related = ["user", "program"]


@admin.register(ArtistProfile)
class ArtistProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "country", "pronouns", "credit_line", "created_at"]
    list_filter = ["country"]
    search_fields = ["display_name", "legal_name", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["artist", "program", "status", "cohort", "joined_at"]
    list_filter = ["status", "program", "cohort"]
    search_fields = ["artist__display_name", "artist__user__email"]
    list_select_related = ["artist", "program"]
    autocomplete_fields = ["artist", "program"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "program", "status", "cohort", "expires_at", "sent_count", "created_at"]
    list_filter = ["status", "program"]
    search_fields = ["email", "name"]
    readonly_fields = ["token", "accepted_by", "accepted_at", "sent_count", "last_sent_at"]
    list_select_related = ["program"]
    actions = ["resend", "revoke"]

    @admin.action(description="Resend the selected invitations (new link)")
    def resend(self, request, queryset):
        from testers.services.invitations import resend_invitation

        _each(request, queryset, lambda obj: resend_invitation(invitation=obj, by=request.user), "resent")

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request, queryset):
        from testers.services.invitations import revoke_invitation

        _each(request, queryset, lambda obj: revoke_invitation(invitation=obj, by=request.user), "revoked")


class ClauseAdminForm(forms.ModelForm):
    class Meta:
        model = Clause
        fields = "__all__"

    def clean(self):
        data = super().clean()
        version = data.get("terms_version") or getattr(self.instance, "terms_version", None)
        if version is not None and version.is_published:
            raise forms.ValidationError("Published terms never change: draft a new version instead.")
        return data


class ClauseInline(admin.StackedInline):
    model = Clause
    form = ClauseAdminForm
    extra = 0

    # Published versions never change: their clauses are read-only here too.
    def has_add_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ["program", "number", "status", "effective_date", "published_at"]
    list_filter = ["status", "program"]
    search_fields = ["program__name", "summary"]
    inlines = [ClauseInline]
    list_select_related = ["program"]

    def get_readonly_fields(self, request, obj=None):
        # Published versions never change.
        if obj is not None and obj.is_published:
            return [f.name for f in self.model._meta.fields]
        return ["status", "published_at", "published_by", "text_hash"]

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(AppendOnlyAdmin):
    list_display = ["membership", "terms_version", "accepted_at", "ip_address", "text_hash"]
    list_filter = ["terms_version__program"]
    search_fields = ["membership__artist__display_name", "membership__artist__user__email"]
    list_select_related = ["membership__artist", "membership__program", "terms_version__program"]


class FeedbackEventInline(admin.TabularInline):
    model = FeedbackEvent
    extra = 0
    readonly_fields = ["author", "kind", "from_status", "to_status", "message", "created_at"]
    can_delete = False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "severity", "status", "membership", "created_at"]
    list_filter = ["status", "kind", "severity", "membership__program"]
    search_fields = ["title", "body", "membership__artist__display_name"]
    list_select_related = ["membership__artist", "membership__program"]
    readonly_fields = ["status", "accepted_at", "accepted_by"]
    inlines = [FeedbackEventInline]
    actions = ["accept"]

    @admin.action(description="Accept the selected feedback (it is then paid)")
    def accept(self, request, queryset):
        from testers.services.feedback import accept_feedback

        _each(request, queryset, lambda obj: accept_feedback(feedback=obj, by=request.user), "accepted")


@admin.register(FeedbackAttachment)
class FeedbackAttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "feedback", "width", "height", "created_at"]
    search_fields = ["original_name", "feedback__title"]
    list_select_related = ["feedback"]


@admin.register(TimeLog)
class TimeLogAdmin(admin.ModelAdmin):
    list_display = ["membership", "date", "minutes", "status", "decided_by", "decided_at"]
    list_filter = ["status", "membership__program", "date"]
    search_fields = ["membership__artist__display_name", "description"]
    list_select_related = ["membership__artist", "membership__program", "decided_by"]
    readonly_fields = ["status", "decided_by", "decided_at"]
    actions = ["approve"]

    @admin.action(description="Approve the selected time logs (they are then paid)")
    def approve(self, request, queryset):
        from testers.services.timelogs import approve_time_log

        _each(request, queryset, lambda obj: approve_time_log(time_log=obj, by=request.user), "approved")


@admin.register(Clause)
class ClauseAdmin(admin.ModelAdmin):
    form = ClauseAdminForm
    list_display = ["title", "klass", "terms_version", "position", "key"]
    list_filter = ["klass", "terms_version__program"]
    search_fields = ["title", "text", "key"]
    list_select_related = ["terms_version__program"]

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.terms_version.is_published

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.terms_version.is_published


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(admin.ModelAdmin):
    list_display = ["feedback", "kind", "from_status", "to_status", "author", "created_at"]
    list_filter = ["kind", "to_status"]
    search_fields = ["feedback__title", "message"]
    list_select_related = ["feedback", "author"]
