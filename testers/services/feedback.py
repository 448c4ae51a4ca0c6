"""Feedback, as keyword-only functions for callers that prefer them (tests, the demo): each runs one action of
`testers.actions.feedback`, which holds every rule."""
from __future__ import annotations

from testers.actions import feedback as actions
from testers.models import Feedback, FeedbackEvent, Membership


def submit_feedback(*, membership: Membership, kind: str, title: str, body: str, severity: str = "",
                    images=(), by, **app_metadata) -> Feedback:
    """`app_metadata`: build, os, device (what the tool says about itself), and `via`."""
    return actions.SubmitFeedback(by, membership, kind=kind, title=title, body=body, severity=severity,
                                  images=images, **app_metadata).run()


def accept_feedback(*, feedback: Feedback, by, message: str = "") -> Feedback:
    return actions.AcceptFeedback(by, feedback, message=message).run()


def mark_duplicate(*, feedback: Feedback, original: Feedback | None, by, message: str = "") -> Feedback:
    return actions.MarkDuplicate(by, feedback, original=original, message=message).run()


def decline_feedback(*, feedback: Feedback, reason: str, by) -> Feedback:
    return actions.DeclineFeedback(by, feedback, reason=reason).run()


def mark_shipped(*, feedback: Feedback, by, build: str, message: str = "") -> Feedback:
    """An accepted item shipped in `build` (required); payments credits the rate card's shipped bonus, once."""
    return actions.ShipFeedback(by, feedback, build=build, message=message).run()


def reopen_feedback(*, feedback: Feedback, by, message: str = "") -> Feedback:
    return actions.ReopenFeedback(by, feedback, message=message).run()


def triage_feedback(*, feedback: Feedback, to_status: str, by, message: str = "", reason: str = "",
                    original: Feedback | None = None, build: str = "") -> Feedback:
    """One entry point for the triage form: the chosen status picks the action."""
    return actions.triage_action(by, feedback, to_status, message=reason or message if to_status == "declined"
                                 else message, original=original, build=build).run()


def reply_to_feedback(*, feedback: Feedback, message: str, by) -> FeedbackEvent:
    return actions.ReplyToFeedback(by, feedback, message=message).run()
