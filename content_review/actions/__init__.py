"""The actions of the content_review app: every change of state of a share request, its works, decisions and
appeals is one registered action (see docs/actions.md and docs/content_review.md for the list, who may run
each, and the transition tables on the models)."""
from content_review.actions.decisions import (  # noqa: F401
    DECIDE, DEADLINE_POLICIES, ApproveAsFree, ApproveShareRequest, ApproveShareRequestWithConditions, DeemApproved,
    DeemApprovedAfterEscalation, DeemAppealOverturned, Escalate,
    OverturnRefusal, RefuseShareRequest, RequestChanges, UpholdRefusal, WarnDeadlineApproaching, appeal_action_for,
)
from content_review.actions.share_requests import (  # noqa: F401
    AppealRefusal, CreateShareRequest, SubmitShareRequest, UpdateShareRequest, WithdrawShareRequest,
)
from content_review.actions.works import (  # noqa: F401
    GiveShowcaseConsent, RemoveFromShowcase, RetryPublishing, RetryWork, WithdrawShowcaseConsent, WorkProcessed, WorkProcessingFailed,
    WorkPublished, WorkPublishingFailed,
)
from atelier.actions import register_retired_name  # noqa: E402

# Audit entries written before decisions became one action per outcome carry these names; nothing writes them
# now (see content_review.share_request.approved|approved_with_conditions|changes_requested|refused and
# content_review.appeal.overturned|upheld), but the audit views still show the old entries in words.
register_retired_name("content_review.share_request.decided", "decided share request")
register_retired_name("content_review.appeal.decided", "decided appeal")
