"""The artist portal: home (a panel per program), feedback, testing time, terms, "What can I share?", profile."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.permissions import get_object_for, is_staff_member
from testers import portal as testers_portal
from testers import selectors
from testers.forms import FeedbackForm, ProfileForm, ReplyForm, TimeLogForm
from testers.models import ArtistProfile, Feedback, FeedbackAttachment, Membership, TimeLog
from testers.services import DomainError
from testers.services import feedback as feedback_services
from testers.services import memberships as membership_services
from testers.services import terms as terms_services
from testers.services import timelogs as time_services
from testers.views import paginate

FEEDBACK_PATHS = {"program_path": "membership__program", "owner_path": "membership__artist__user"}


def portal_home(request):
    memberships = list(selectors.artist_memberships(request.user))
    from content_review import portal as review_portal
    from payments import portal as payments_portal

    ours = testers_portal.home_panels(request.user, memberships)
    review = review_portal.home_panels(request.user, memberships)
    payments = payments_portal.home_panels(request.user, memberships)
    rows = [
        {"membership": m, "panel": ours.get(m.pk, {}), "review_panel": review.get(m.pk),
         "payments_panel": payments.get(m.pk)}
        for m in memberships
    ]
    return render(request, "testers/portal_home.html",
                  {"rows": rows, "memberships": memberships, "is_staff_member": is_staff_member(request.user)})


def _participating(user):
    """Memberships in which the artist may act now (active, current terms accepted)."""
    result = []
    for membership in selectors.artist_memberships(user):
        try:
            selectors.require_participation(membership)
        except DomainError:
            continue
        result.append(membership)
    return result


def _blocked_reasons(user):
    reasons = []
    for membership in selectors.artist_memberships(user):
        try:
            selectors.require_participation(membership)
        except DomainError as error:
            reasons.append((membership, str(error)))
    return reasons


# --- feedback ----------------------------------------------------------------------------------

@login_required
def feedback_list(request):
    page_obj = paginate(request, selectors.feedback_for_artist(request.user))
    return render(request, "testers/feedback_list.html",
                  {"page_obj": page_obj, "can_send": bool(_participating(request.user))})


@login_required
def feedback_create(request):
    memberships = _participating(request.user)
    if not memberships:
        return render(request, "testers/blocked.html", {"what": "send feedback", "reasons": _blocked_reasons(request.user)})
    form = FeedbackForm(request.POST or None, request.FILES or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            feedback = feedback_services.submit_feedback(
                membership=data["membership"], kind=data["kind"], title=data["title"], body=data["body"],
                severity=data["severity"], images=data["images"], by=request.user,
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you — your feedback was sent.")
            return redirect("testers:feedback_detail", pk=feedback.pk)
    return render(request, "testers/feedback_form.html", {"form": form})


def _feedback_for(user, pk, action="feedback.view"):
    return get_object_for(user, action, Feedback.objects.select_related("membership__program", "membership__artist",
                                                                          "duplicate_of"), pk=pk, **FEEDBACK_PATHS)


@login_required
def feedback_detail(request, pk):
    feedback = _feedback_for(request.user, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        feedback = _feedback_for(request.user, pk, "feedback.comment")
        if form.is_valid():
            try:
                feedback_services.reply_to_feedback(feedback=feedback, message=form.cleaned_data["message"],
                                                    by=request.user)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Reply sent.")
                return redirect("testers:feedback_detail", pk=feedback.pk)
    return render(request, "testers/feedback_detail.html", {
        "feedback": feedback, "page_obj": paginate(request, selectors.feedback_events(feedback), 50),
        "attachments": feedback.attachments.all(), "form": form,
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
    memberships = _participating(request.user)
    form = TimeLogForm(request.POST or None, memberships=memberships) if memberships else None
    if request.method == "POST":
        if form is None:
            messages.error(request, " ".join(reason for _, reason in _blocked_reasons(request.user))
                           or "You are not in any program.")
            return redirect("testers:timelog_list")
        if form.is_valid():
            data = form.cleaned_data
            try:
                time_services.log_time(membership=data["membership"], date=data["date"], minutes=data["minutes"],
                                       description=data["description"], by=request.user)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Testing time logged; a manager will approve it.")
                return redirect("testers:timelog_list")
    page_obj = paginate(request, selectors.time_logs_for_artist(request.user))
    return render(request, "testers/timelog_list.html", {
        "form": form, "page_obj": page_obj, "blocked": _blocked_reasons(request.user) if form is None else [],
    })


def _time_log_for(user, pk, action="timelog.view"):
    return get_object_for(user, action, TimeLog.objects.select_related("membership__program", "decided_by"), pk=pk,
                          **FEEDBACK_PATHS)


@login_required
def timelog_detail(request, pk):
    log = _time_log_for(request.user, pk)
    return render(request, "testers/timelog_detail.html", {"log": log})


@login_required
@require_POST
def timelog_withdraw(request, pk):
    log = _time_log_for(request.user, pk, "timelog.create")
    try:
        time_services.withdraw_time_log(time_log=log, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("testers:timelog_detail", pk=pk)
    messages.success(request, "Log withdrawn.")
    return redirect("testers:timelog_list")


# --- terms ------------------------------------------------------------------------------------

def _own_membership(user, slug):
    membership = (
        Membership.objects.filter(artist__user=user, program__slug=slug)
        .exclude(status=Membership.Status.REMOVED).select_related("program", "artist").first()
    )
    if membership is None:
        raise Http404("Not found.")
    return membership


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
        else:
            try:
                terms_services.accept_terms(membership=membership, version=version, by=request.user)
            except DomainError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"You accepted version {version.number} of the {program.name} terms.")
                return redirect("home")
        return redirect("testers:terms", slug=slug)
    changes = None
    if to_accept is not None and accepted is not None and accepted.pk != to_accept.pk:
        changes = [c for c in terms_services.diff_versions(accepted, to_accept) if c.kind != "unchanged"]
    return render(request, "testers/terms_detail.html", {
        "membership": membership, "program": program, "version": shown, "to_accept": to_accept,
        "accepted": accepted, "changes": changes,
        "clauses": shown.clauses.all() if shown else [],
    })


@login_required
def what_can_i_share(request):
    """For each program, the version the artist accepted, its clauses in three classes side by side."""
    from testers.models import Clause

    memberships = list(selectors.artist_memberships(request.user))
    accepted = selectors.accepted_versions(memberships)
    current = selectors.current_terms_by_program({m.program_id for m in memberships})
    sections = []
    for membership in memberships:
        version = accepted.get(membership.pk)
        columns = []
        for klass, label in Clause.Klass.choices:
            clauses = [c for c in version.clauses.all() if c.klass == klass] if version else []
            columns.append({"klass": klass, "label": label, "clauses": clauses})
        latest = current.get(membership.program_id)
        sections.append({"membership": membership, "version": version, "columns": columns,
                         "newer": latest if latest and version and latest.number > version.number else None})
    return render(request, "testers/what_can_i_share.html", {"sections": sections})


# --- profile ------------------------------------------------------------------------------------

@login_required
def profile_edit(request):
    profile = ArtistProfile.objects.filter(user=request.user).first()
    if profile is None:
        raise Http404("You have no artist profile.")
    form = ProfileForm(request.POST or None, instance=ArtistProfile.objects.get(pk=profile.pk))
    if request.method == "POST" and form.is_valid():
        membership_services.update_profile(profile=profile, by=request.user, **{
            name: form.cleaned_data[name] for name in form.Meta.fields})
        messages.success(request, "Profile saved.")
        return redirect("testers:profile")
    return render(request, "testers/profile_form.html", {"form": form, "profile": profile})


@login_required
def profile_detail(request, pk):
    """An artist's profile as their program's staff see it (and the artist themself). Anyone else gets a 404."""
    from atelier.permissions import is_site_admin, programs_with_roles

    profile = ArtistProfile.objects.select_related("user").filter(pk=pk).first()
    if profile is None:
        raise Http404("Not found.")
    memberships = profile.memberships.select_related("program").order_by("program__name")
    if profile.user_id != request.user.pk and not is_site_admin(request.user):
        # Staff see the profile and the memberships of their own programs only.
        memberships = memberships.filter(program_id__in=programs_with_roles(request.user, {"manager", "finance"}))
        if not memberships.exists():
            raise Http404("Not found.")
    return render(request, "testers/profile_detail.html", {"profile": profile, "memberships": memberships})
