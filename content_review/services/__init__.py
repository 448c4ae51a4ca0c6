"""Entry points of the content_review app for views, tasks, the admin, the demo and tests, one module per
concern. Each entry point builds and runs one action of content_review/actions (which holds the rules):

- share_requests: create and edit (with their files), submit, withdraw; showcase consent per work;
- decisions: a reviewer's decision, an appeal and its final decision, and what deciding records;
- deadlines: requests undecided past their deadline, deemed approved or escalated (the system);
- freed: requests citing only clauses free to share now, one of them ended, approved (the system);
- derived_files: a work's metadata-free copy, thumbnail, poster and credited copy, and their retry;
- uploads: the helpers share requests use (files checked by content, works stored, fields cleaned);
- (who is told what: content_review/notifications.py, through the events of these actions.)

Callers write `services.decide_share_request(...)`: this module only re-exports."""
from content_review.services.deadlines import (
    enforce_deadline, enforce_deadlines, overdue_request_ids, warn_near_deadlines,
)
from content_review.services.decisions import appeal_refusal, decide_appeal, decide_share_request
from content_review.services.freed import approve_freed, approve_if_free
from content_review.services.derived_files import make_published_copy, process_work, retry_action, retry_work
from content_review.services.share_requests import (
    create_share_request, remove_from_showcase, set_showcase_consent, submit_share_request, update_share_request,
    upload_action, withdraw_share_request,
)
from content_review.services.uploads import (
    MAX_WORKS, UploadRejected, check_uploads, clean_fields, delete_files, media_limits, needs_review,
)

__all__ = [
    # share requests
    "create_share_request", "update_share_request", "submit_share_request", "withdraw_share_request",
    "upload_action", "set_showcase_consent", "remove_from_showcase",
    # decisions and appeals
    "decide_share_request", "appeal_refusal", "decide_appeal",
    # deadlines
    "enforce_deadline", "enforce_deadlines", "overdue_request_ids", "warn_near_deadlines",
    # clauses that ended
    "approve_freed", "approve_if_free",
    # derived files
    "process_work", "make_published_copy", "retry_action", "retry_work",
    # uploads
    "MAX_WORKS", "UploadRejected", "check_uploads", "clean_fields", "delete_files", "media_limits", "needs_review",
]
