"""The artist portal (its home is composed in portal.views): feedback, testing time, terms, "What can I share?", profile."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.errors import TwoFactorRequired
from atelier.http import perform
from atelier.permissions import get_object_for, scope, why_not
from testers import feedback_earnings, selectors
from testers.actions import (
    AcceptTerms, LogTime, ReplyToFeedback, SubmitFeedback, UpdateProfile, WithdrawTimeLog,
)
from testers.forms import FeedbackForm, ProfileForm, ReplyForm, TimeLogForm
from testers.models import (
    ArtistProfile, Feedback, FeedbackAttachment, Membership, TermsAcceptance, TermsVersion, TimeLog,
)
from testers.services import terms as terms_services
from testers.terms_pdf import acceptance_filename, render_acceptance
from testers.views import paginate

FEEDBACK_PATHS = {"program_path": "membership__program", "owner_path": "membership__artist__user"}


def _may(user, action_class):
    """(memberships in which the artist may run `action_class` now, [(membership, why not)] for the others)."""
    allowed, blocked = [], []
    for membership in selectors.artist_memberships(user):
        refusal = action_class(user, membership).check()
        if refusal is None:
            allowed.append(membership)
        elif refusal.kind != "permission":
            blocked.append((membership, str(refusal)))
    return allowed, blocked


# --- feedback ----------------------------------------------------------------------------------

@login_required
def feedback_list(request):
    page_obj = paginate(request, selectors.feedback_for_artist(request.user))
    return render(request, "testers/feedback_list.html",
                  {"page_obj": page_obj, "can_send": bool(_may(request.user, SubmitFeedback)[0])})


@login_required
def feedback_create(request):
    memberships, blocked = _may(request.user, SubmitFeedback)
    if not memberships:
        return render(request, "testers/blocked.html", {"what": "send feedback", "reasons": blocked})
    form = FeedbackForm(request.POST or None, request.FILES or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        feedback = perform(request, SubmitFeedback(
            request.user, data["membership"], kind=data["kind"], title=data["title"], body=data["body"],
            severity=data["severity"], images=data["images"],
        ), form=form, success="Thank you — your feedback was sent.")
        if feedback is not None:
            return redirect("testers:feedback_detail", pk=feedback.pk)
    return render(request, "testers/feedback_form.html", {"form": form})


def _feedback_for(user, pk, action="feedback.view"):
    return get_object_for(user, action, Feedback.objects.select_related("membership__program", "membership__artist",
                                                                          "duplicate_of"), pk=pk, **FEEDBACK_PATHS)


@login_required
def feedback_detail(request, pk):
    feedback = _feedback_for(request.user, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = perform(request, ReplyToFeedback(request.user, feedback, message=form.cleaned_data["message"]),
                        form=form, success="Reply sent.")
        if event is not None:
            return redirect("testers:feedback_detail", pk=feedback.pk)
    return render(request, "testers/feedback_detail.html", {
        "feedback": feedback, "page_obj": paginate(request, selectors.feedback_events(feedback), 50),
        "attachments": feedback.attachments.all(), "form": form,
        "reply_refusal": ReplyToFeedback(request.user, feedback).check(),
        "earned": feedback_earnings.earnings_of(feedback),
    })


@login_required
def feedback_attachment(request, pk, attachment_id, variant="image"):
    """Attachment files go through the permission helper: only the artist and the program's staff see them."""
    feedback = _feedback_for(request.user, pk)
    attachment = FeedbackAttachment.objects.filter(feedback=feedback, pk=attachment_id).first()
    if attachment is None:
        raise Http404("Not found.")
    file = attachment.thumbnail if variant == "thumbnail" and attachment.thumbnail else attachment.image
    if not file:
        raise Http404("Not found.")
    response = FileResponse(file.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- testing time -------------------------------------------------------------------------------

@login_required
def timelog_list(request):
    memberships, blocked = _may(request.user, LogTime)
    form = TimeLogForm(request.POST or None, memberships=memberships) if memberships else None
    if request.method == "POST":
        if form is None:
            messages.error(request, " ".join(reason for _, reason in blocked) or "You are not in any program.")
            return redirect("testers:timelog_list")
        if form.is_valid():
            data = form.cleaned_data
            log = perform(request, LogTime(request.user, data["membership"], date=data["date"],
                                           minutes=data["minutes"], description=data["description"]),
                          form=form, success="Testing time logged; a manager will approve it.")
            if log is not None:
                return redirect("testers:timelog_list")
    page_obj = paginate(request, selectors.time_logs_for_artist(request.user))
    return render(request, "testers/timelog_list.html", {
        "form": form, "page_obj": page_obj, "blocked": blocked if form is None else [],
    })


def _time_log_for(user, pk, action="timelog.view"):
    return get_object_for(user, action, TimeLog.objects.select_related("membership__program", "decided_by"), pk=pk,
                          **FEEDBACK_PATHS)


@login_required
def timelog_detail(request, pk):
    log = _time_log_for(request.user, pk)
    return render(request, "testers/timelog_detail.html",
                  {"log": log, "withdraw_refusal": WithdrawTimeLog(request.user, log).check()})


@login_required
@require_POST
def timelog_withdraw(request, pk):
    log = _time_log_for(request.user, pk)
    if perform(request, WithdrawTimeLog(request.user, log), success="Log withdrawn.") is None:
        return redirect("testers:timelog_detail", pk=pk)
    return redirect("testers:timelog_list")


# --- terms ------------------------------------------------------------------------------------

def _own_membership(user, slug):
    """The artist's own (not removed) membership of the program whose terms they read; a 404 otherwise."""
    memberships = (Membership.objects.filter(artist__user=user).exclude(status=Membership.Status.REMOVED)
                   .select_related("program", "artist"))
    return get_object_for(user, "terms.view", memberships, program__slug=slug)


@login_required
def terms_detail(request, slug):
    """The program's terms for an artist: the version to accept, what changed since theirs, and the accept button."""
    membership = _own_membership(request.user, slug)
    program = membership.program
    current = selectors.current_terms(program)
    upcoming = terms_services.upcoming_terms(program)
    accepted = selectors.accepted_version(membership)
    to_accept = None
    if current is not None and not selectors.has_accepted_current(membership):
        to_accept = current
    elif upcoming is not None and (accepted is None or accepted.number < upcoming.number):
        to_accept = upcoming
    shown = to_accept or accepted or current
    if request.method == "POST":
        version_id = request.POST.get("version")
        version = shown if shown is not None and str(shown.pk) == version_id else None
        if version is None or request.POST.get("agree") != "yes":
            messages.error(request, "Tick the box to confirm you read and accept these terms.")
        elif perform(request, AcceptTerms(request.user, version, membership=membership),
                     success=f"You accepted version {version.number} of the {program.name} terms.") is not None:
            return redirect("home")
        return redirect("testers:terms", slug=slug)
    changes = None
    if to_accept is not None and accepted is not None and accepted.pk != to_accept.pk:
        changes = [c for c in terms_services.diff_versions(accepted, to_accept) if c.kind != "unchanged"]
    return render(request, "testers/terms_detail.html", {
        "membership": membership, "program": program, "version": shown, "to_accept": to_accept,
        "accepted": accepted, "changes": changes,
        "clauses": shown.clauses.all() if shown else [],
        "accept_refusal": AcceptTerms(request.user, to_accept, membership=membership).check() if to_accept else None,
    })


@login_required
def what_can_i_share(request):
    """For each program, the version the artist accepted, its clauses in three classes side by side, each with
    its end (selectors.what_can_i_share)."""
    sections = selectors.what_can_i_share(selectors.artist_memberships(request.user))
    return render(request, "testers/what_can_i_share.html", {"sections": sections})


@login_required
def terms_history(request, slug):
    """Every published version of the program's terms, with when the artist accepted each one."""
    membership = _own_membership(request.user, slug)
    return render(request, "testers/terms_history.html", {
        "membership": membership, "program": membership.program, "rows": selectors.terms_history(membership),
    })


def _published_version(membership, number):
    version = (TermsVersion.objects.filter(program_id=membership.program_id, number=number,
                                           status=TermsVersion.Status.PUBLISHED).select_related("program").first())
    if version is None:
        raise Http404("Not found.")
    return version


@login_required
def terms_version(request, slug, number):
    """One published version as it was published (an older one too), and whether the artist accepted it."""
    membership = _own_membership(request.user, slug)
    version = _published_version(membership, number)
    acceptance = TermsAcceptance.objects.filter(membership=membership, terms_version=version).first()
    return render(request, "testers/terms_version.html", {
        "membership": membership, "program": membership.program, "version": version, "acceptance": acceptance,
        "clauses": version.clauses.all(),
    })


@login_required
def terms_acceptance_pdf(request, slug, number):
    """The PDF record of the artist's acceptance of one version: the exact text, its hash, the time and address.
    Only the artist's own acceptances: a version they did not accept is a 404."""
    membership = _own_membership(request.user, slug)
    version = _published_version(membership, number)
    acceptance = (TermsAcceptance.objects.filter(membership=membership, terms_version=version)
                  .select_related("terms_version__program", "membership__artist__user").first())
    if acceptance is None:
        raise Http404("You did not accept this version.")
    response = HttpResponse(render_acceptance(acceptance), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{acceptance_filename(acceptance)}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- profile ------------------------------------------------------------------------------------

@login_required
def profile_edit(request):
    profile = ArtistProfile.objects.filter(user=request.user).first()
    if profile is None:
        raise Http404("You have no artist profile.")
    form = ProfileForm(request.POST or None, instance=ArtistProfile.objects.get(pk=profile.pk))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if perform(request, UpdateProfile(request.user, profile, **values), form=form,
                   success="Profile saved.") is not None:
            return redirect("testers:profile")
    return render(request, "testers/profile_form.html", {"form": form, "profile": profile})


@login_required
def profile_detail(request, pk):
    """An artist's profile as their program's staff see it (and the artist themself). Anyone else gets a 404;
    staff without TOTP are sent to set it up (the profile shows the legal name)."""
    profile = ArtistProfile.objects.select_related("user").filter(pk=pk).first()
    if profile is None:
        raise Http404("Not found.")
    memberships = profile.memberships.select_related("program", "artist").order_by("program__name")
    if profile.user_id != request.user.pk:
        # Staff see the profile and the memberships of their own programs only.
        memberships = scope(memberships, request.user, "profile.view", mfa=False)
        first = memberships.first()
        if first is None:
            raise Http404("Not found.")
        refusal = why_not(request.user, "profile.view", first)
        if refusal is not None and refusal.kind == "mfa":
            raise TwoFactorRequired(str(refusal))
        if refusal is not None:
            raise Http404("Not found.")
    return render(request, "testers/profile_detail.html", {"profile": profile, "memberships": memberships})
