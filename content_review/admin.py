"""The Django admin of content review: read-only. What a site admin may change goes through admin actions
that run the product's actions (checked and audited like anywhere else)."""
from django.contrib import admin, messages

from atelier.admin import AppendOnlyAdmin
from atelier.errors import DomainError
from content_review import actions, services
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work


class ReadOnlyAdmin(AppendOnlyAdmin):
    """Readable, never added, changed or deleted here."""


def run_each(modeladmin, request, queryset, build, done: str):
    """Run the action `build(user, obj)` on each selected row; each refusal becomes a message, never a 500."""
    count = 0
    for obj in queryset:
        try:
            build(request.user, obj).run()
        except DomainError as refused:
            modeladmin.message_user(request, f"{obj}: {refused}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{done}: {count}.", messages.SUCCESS)


class WorkInline(admin.TabularInline):
    model = Work
    extra = 0
    fields = ("original_name", "kind", "processing_status", "published_status", "showcase_consent")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ShareRequest)
class ShareRequestAdmin(ReadOnlyAdmin):
    list_display = ("title", "membership", "status", "submitted_at", "deadline_at", "deadline_missed", "decided_at")
    list_filter = ("status", "deadline_missed", "membership__program")
    search_fields = ("title", "caption", "membership__artist__display_name", "membership__artist__user__email")
    list_select_related = ("membership__program", "membership__artist")
    date_hierarchy = "created_at"
    inlines = [WorkInline]


@admin.register(Work)
class WorkAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "share_request", "kind", "processing_status", "published_status",
                    "showcase_consent")
    list_filter = ("kind", "processing_status", "published_status", "showcase_consent")
    search_fields = ("original_name", "share_request__title")
    list_select_related = ("share_request",)
    # Private files have no URL (the admin would link them): show their stored names instead.
    exclude = ("original", "clean", "thumbnail", "poster", "published")
    readonly_fields = ("token", "files")
    actions = ["retry", "take_off_showcase"]

    @admin.display(description="Private files")
    def files(self, obj):
        names = [f.name for f in (obj.original, obj.clean, obj.thumbnail, obj.poster, obj.published) if f]
        return ", ".join(names) or "—"

    @admin.action(description="Retry the failed copies of the selected works")
    def retry(self, request, queryset):
        run_each(self, request, queryset, lambda user, work: services.retry_action(work, by=user), "Retried")

    @admin.action(description="Take the selected works off the showcase")
    def take_off_showcase(self, request, queryset):
        # A site admin runs the managers' action; the artist is told this sentence as the reason.
        run_each(self, request, queryset,
                 lambda user, work: actions.RemoveFromShowcase(user, work, reason=ADMIN_REMOVAL_REASON),
                 "Taken off the showcase")


ADMIN_REMOVAL_REASON = "Taken off the showcase by an Atelier site admin; ask the program's managers why."


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(AppendOnlyAdmin):
    """Decisions are append-only: the admin shows them and never changes them."""

    list_display = ("share_request", "outcome", "decided_by", "on_appeal", "created_at")
    list_filter = ("outcome", "on_appeal")
    search_fields = ("share_request__title", "reason", "decided_by__email")
    list_select_related = ("share_request", "decided_by")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("share_request", "status", "refused_by", "assigned_to", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("share_request__title", "message", "assigned_to__email")
    list_select_related = ("share_request", "refused_by", "assigned_to")
