"""Pages of content review: the artist's share requests, the staff review queue, the public showcase,
the transparency report, and the views that serve private and published files after checking access."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier import page_cache
from atelier.errors import DomainError, TwoFactorRequired
from atelier.http import perform
from atelier.pagination import paginate
from atelier.permissions import can, get_object_for, get_program_for
from content_review import actions, report_figures, selectors, services
from content_review.forms import (
    AppealForm, DecisionForm, QueueFilterForm, RemoveFromShowcaseForm, ReportPeriodForm, ShareRequestForm,
)
from content_review.models import Work
from content_review.storage import private_storage
from testers.models import Membership, Program
from testers.selectors import accepted_version

PAGE_SIZE = 20
REQUEST_PATHS = {"program_path": "membership__program", "owner_path": "membership__artist__user"}
WORK_PATHS = {"program_path": "share_request__membership__program",
              "owner_path": "share_request__membership__artist__user"}



def _own_request(request, pk):
    """The request, for its artist and the program's reviewers and managers (with TOTP); else a 404."""
    return get_object_for(request.user, "share_request.view", selectors.request_detail_queryset(), pk=pk,
                          **REQUEST_PATHS)


# --- the artist's pages -------------------------------------------------------------------------

@login_required
def my_requests(request):
    page = paginate(request, selectors.artist_requests(request.user), PAGE_SIZE)
    memberships = (Membership.objects.filter(artist__user=request.user, status=Membership.Status.ACTIVE)
                   .select_related("program").order_by("program__name"))
    return render(request, "content_review/my_requests.html", {"page_obj": page, "memberships": memberships})


def _form_fields(form):
    data = form.cleaned_data
    return {
        "title": data["title"], "caption": data["caption"], "platforms": data["platforms"],
        "platform_other": data["platform_other"], "planned_post_date": data["planned_post_date"],
        "clause_ids": [c.pk for c in data.get("clauses") or []], "files": data["files"],
    }


def _add_upload_errors(form, exc):
    for problem in getattr(exc, "problems", None) or [str(exc)]:
        form.add_error("files" if getattr(exc, "problems", None) else None, problem)


def _run_with_uploads(request, form, action_cls, target, membership, success, **params):
    """Clean the form's fields and inspect its files, then run the action; None (with errors on the form) if
    the input or the action was refused."""
    try:
        action = services.upload_action(action_cls, request.user, target, membership=membership,
                                        **_form_fields(form), **params)
    except DomainError as exc:
        _add_upload_errors(form, exc)
        return None
    return perform(request, action, success=success, form=form)


@login_required
def new_request(request, slug):
    # Paused and removed artists are told why not (the action's participation reason); others get a 404.
    membership = (Membership.objects.filter(program__slug=slug, artist__user=request.user)
                  .select_related("program", "artist").first())
    if membership is None:
        raise Http404("Not found.")
    refusal = actions.CreateShareRequest(request.user, None, membership=membership).check()
    if refusal is not None:
        if refusal.kind == "permission":
            raise Http404("Not found.")
        if refusal.kind == "mfa":
            raise TwoFactorRequired(str(refusal))
        return render(request, "content_review/cannot_share.html", {"membership": membership, "reason": refusal})
    version = accepted_version(membership)
    form = ShareRequestForm(request.POST or None, request.FILES or None, terms_version=version)
    if request.method == "POST" and form.is_valid():
        share_request = _run_with_uploads(request, form, actions.CreateShareRequest, None, membership,
                                          "Draft saved. Check it, then submit it for review.")
        if share_request is not None:
            return redirect("content_review:request_detail", pk=share_request.pk)
    return render(request, "content_review/request_form.html",
                  {"form": form, "membership": membership, "program": membership.program, "share_request": None})


@login_required
def edit_request(request, pk):
    share_request = _own_request(request, pk)
    refusal = actions.UpdateShareRequest(request.user, share_request).check()
    if refusal is not None:
        if refusal.kind == "permission":
            raise Http404("Not found.")
        messages.error(request, refusal)
        return redirect("content_review:request_detail", pk=pk)
    works = list(share_request.works.all())
    initial = {"title": share_request.title, "caption": share_request.caption,
               "platforms": share_request.platforms, "platform_other": share_request.platform_other,
               "planned_post_date": share_request.planned_post_date, "clauses": list(share_request.clauses.all())}
    version = accepted_version(share_request.membership)
    form = ShareRequestForm(request.POST or None, request.FILES or None, initial=initial, terms_version=version,
                            works=works)
    if request.method == "POST" and form.is_valid():
        done = _run_with_uploads(request, form, actions.UpdateShareRequest, share_request, share_request.membership,
                                 "Changes saved.",
                                 remove_work_ids=[int(x) for x in form.cleaned_data.get("remove_works") or []])
        if done is not None:
            return redirect("content_review:request_detail", pk=pk)
    return render(request, "content_review/request_form.html",
                  {"form": form, "membership": share_request.membership, "program": share_request.membership.program,
                   "share_request": share_request})


def _detail_context(request, share_request):
    """What the request's pages show; which buttons appear (and why not) is asked of the actions, in the
    templates ({% why_not %})."""
    decisions = list(share_request.decisions.all())
    appeal = getattr(share_request, "appeal", None) if hasattr(share_request, "appeal") else None
    clauses = list(share_request.clauses.all())
    works = list(share_request.works.all())
    return {
        "share_request": share_request, "program": share_request.membership.program,
        "works": works, "any_processing": any(w.is_processing for w in works), "decisions": decisions,
        "latest_decision": decisions[0] if decisions else None,
        "appeal": appeal, "clauses": clauses, "needs_review": services.needs_review(share_request, clauses),
        "is_owner": share_request.membership.artist.user_id == request.user.pk,
    }


@login_required
def request_detail(request, pk):
    share_request = _own_request(request, pk)
    return render(request, "content_review/request_detail.html", _detail_context(request, share_request))


@login_required
def request_works(request, pk):
    """The works panel alone (htmx polls it while derived files are being made)."""
    share_request = _own_request(request, pk)
    context = _detail_context(request, share_request)
    context["large"] = request.GET.get("large") == "1"
    return render(request, "content_review/_works.html", context)


@login_required
@require_POST
def submit_request(request, pk):
    share_request = _own_request(request, pk)
    perform(request, actions.SubmitShareRequest(request.user, share_request),
            success="Submitted for review. You will get an e-mail when it is decided.")
    return redirect("content_review:request_detail", pk=pk)


@login_required
@require_POST
def withdraw_request(request, pk):
    share_request = _own_request(request, pk)
    perform(request, actions.WithdrawShareRequest(request.user, share_request), success="Request withdrawn.")
    return redirect("content_review:request_detail", pk=pk)


@login_required
def appeal_request(request, pk):
    share_request = _own_request(request, pk)
    refusal = actions.AppealRefusal(request.user, share_request).check()
    if refusal is not None:
        if refusal.kind == "permission":
            raise Http404("Not found.")
        if refusal.kind == "mfa":
            raise TwoFactorRequired(str(refusal))
        messages.error(request, refusal)
        return redirect("content_review:request_detail", pk=pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = perform(request, actions.AppealRefusal(request.user, share_request,
                                                      message=form.cleaned_data["message"]),
                       success="Appeal sent. Another reviewer will decide; their decision is final.", form=form)
        if done is not None:
            return redirect("content_review:request_detail", pk=pk)
    refusal = next((d for d in share_request.decisions.all() if d.outcome == "refuse"), None)
    return render(request, "content_review/appeal_form.html",
                  {"form": form, "share_request": share_request, "refusal": refusal})


def _work_for(request, work_pk, rule):
    return get_object_for(request.user, rule, Work.objects.select_related("share_request__membership"),
                          pk=work_pk, **WORK_PATHS)


@login_required
@require_POST
def retry_work(request, work_pk):
    work = _work_for(request, work_pk, "share_request.view")
    perform(request, services.retry_action(work, by=request.user),
            success=f"Processing “{work.original_name}” again.")
    if request.POST.get("next") == "review" and can(request.user, "share_request.decide", work.share_request):
        return redirect("content_review:review", slug=work.share_request.membership.program.slug,
                        pk=work.share_request_id)
    return redirect("content_review:request_detail", pk=work.share_request_id)


@login_required
@require_POST
def showcase_consent(request, work_pk):
    work = _work_for(request, work_pk, "showcase.withdraw")
    consent = request.POST.get("consent") == "yes"
    action = (actions.GiveShowcaseConsent if consent else actions.WithdrawShowcaseConsent)(request.user, work)
    perform(request, action, success=f"“{work.original_name}” {'will be shown' if consent else 'is no longer shown'} "
                                     "on the showcase.")
    return redirect("content_review:request_detail", pk=work.share_request_id)


@login_required
def remove_from_showcase(request, work_pk):
    """A manager takes a work off the showcase, with a reason for the artist."""
    work = get_object_for(request.user, "showcase.remove",
                          Work.objects.select_related("share_request__membership__program",
                                                      "share_request__membership__artist"),
                          pk=work_pk, **WORK_PATHS)
    refusal = actions.RemoveFromShowcase(request.user, work).check()
    if refusal is not None:
        if refusal.kind == "mfa":
            raise TwoFactorRequired(str(refusal))
        messages.error(request, refusal)
        return redirect("content_review:request_detail", pk=work.share_request_id)
    form = RemoveFromShowcaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = perform(request, actions.RemoveFromShowcase(request.user, work, reason=form.cleaned_data["reason"]),
                       success=f"“{work.original_name}” is off the showcase; the artist has been told why.",
                       form=form)
        if done is not None:
            return redirect("content_review:request_detail", pk=work.share_request_id)
    return render(request, "content_review/showcase_remove.html",
                  {"form": form, "work": work, "share_request": work.share_request,
                   "program": work.share_request.membership.program})


VARIANTS = {"thumbnail": "thumbnail", "poster": "poster", "full": "clean", "published": "published"}


@login_required
def work_file(request, token, variant):
    """A private file of a work, for its artist and the program's managers and reviewers only (else 404)."""
    field = VARIANTS.get(variant)
    if field is None:
        raise Http404("Not found.")
    work = get_object_for(request.user, "share_request.view", Work.objects.select_related("share_request__membership"),
                          token=token, **WORK_PATHS)
    return _file_response(work, field, private=True)


def _file_response(work, field, *, private):
    file = getattr(work, field)
    if not file or not file.name:
        raise Http404("Not found.")
    storage = private_storage()
    try:
        handle = storage.open(file.name, "rb")
    except FileNotFoundError:
        raise Http404("Not found.")
    if field in ("thumbnail", "poster"):
        content_type = "image/jpeg"
    elif field == "published" and work.kind == Work.Kind.VIDEO:
        content_type = "video/mp4"
    else:
        content_type = work.mime_type
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store" if private else "no-cache"
    response["Content-Disposition"] = "inline"
    return response


# --- staff: the review queue --------------------------------------------------------------------

def _staff_program(request, slug, action="share_request.decide"):
    return get_program_for(request.user, action, slug)


@login_required
def queue(request, slug):
    program = _staff_program(request, slug)
    return page_cache.render_page(request, "content_review:queue", "content_review/staff/queue.html",
                                  lambda: _queue_context(request, program),
                                  scopes=[page_cache.program_scope(program.pk)])


def _queue_context(request, program) -> dict:
    form = QueueFilterForm(request.GET or None)
    status, artist_id, overdue, q = "open", None, False, ""
    if form.is_valid():
        status = form.cleaned_data["status"] or "open"
        artist_id = form.cleaned_data["artist"] or None
        overdue = form.cleaned_data["overdue"]
        q = form.cleaned_data["q"].strip()
    by_email = can(request.user, "membership.view", program)
    chosen = (Membership.objects.filter(program=program, artist_id=artist_id).select_related("artist").first()
              if artist_id else None)
    page = paginate(request, selectors.review_queue(program, status=status, artist_id=artist_id, overdue=overdue,
                                                    q=q, by_email=by_email), PAGE_SIZE)
    return {"program": program, "form": form, "page_obj": page, "status": status, "chosen": chosen,
            "by_email": by_email}


@login_required
def review(request, slug, pk):
    program = _staff_program(request, slug)
    share_request = get_object_for(request.user, "share_request.decide",
                                   selectors.request_detail_queryset().filter(membership__program=program),
                                   pk=pk, **REQUEST_PATHS)
    context = _detail_context(request, share_request)
    user = request.user
    # Every decision shares its rule and statuses, so one check says whether (and why not) this person decides.
    decide_refusal = actions.ApproveShareRequest(user, share_request).check()
    appeal_refusal = actions.OverturnRefusal(user, share_request).check() if context["appeal"] else None
    is_appeal_post = request.POST.get("on_appeal") == "1"
    form = DecisionForm(request.POST if request.method == "POST" and not is_appeal_post else None,
                        terms_version=share_request.terms_version)
    appeal_form = DecisionForm(request.POST if request.method == "POST" and is_appeal_post else None,
                               terms_version=share_request.terms_version, appeal=True, prefix="appeal")
    if request.method == "POST":
        target = appeal_form if is_appeal_post else form
        if target.is_valid():
            data = target.cleaned_data
            fields = {"reason": data["reason"], "clause_ids": [c.pk for c in data["clauses"]],
                      "embargo_until": data["embargo_until"], "required_caption": data["required_caption"],
                      "required_credit": data["required_credit"]}
            if is_appeal_post:
                action = actions.appeal_action_for(data["outcome"])(user, share_request, outcome=data["outcome"],
                                                                    **fields)
            else:
                action = actions.DECIDE[data["outcome"]](user, share_request, **fields)
            if perform(request, action, success="Decision recorded; the artist has been told by e-mail.",
                       form=target) is not None:
                return redirect("content_review:queue", slug=program.slug)
    context.update({"form": form, "appeal_form": appeal_form, "decide_refusal": decide_refusal,
                    "appeal_refusal": appeal_refusal, "staff_view": True})
    return render(request, "content_review/staff/review.html", context)


# --- public: the showcase, and the transparency report ----------------------------------------------

def showcase(request, slug):
    program = Program.objects.filter(slug=slug).exclude(status=Program.Status.DRAFT).first()
    if program is None:
        raise Http404("Not found.")
    page = paginate(request, selectors.showcase_works(program), 24)
    return render(request, "content_review/showcase.html", {"program": program, "page_obj": page})


def showcase_file(request, slug, token):
    """The credited copy of a showcased work; anything not currently on the showcase is a 404."""
    program = Program.objects.filter(slug=slug).exclude(status=Program.Status.DRAFT).first()
    work = selectors.showcase_works(program).filter(token=token).first() if program else None
    if work is None:
        raise Http404("Not found.")
    return _file_response(work, "published", private=False)


@login_required
def review_report(request, slug):
    program = get_program_for(request.user, "review_report.view", slug)
    start, end = ReportPeriodForm.default_period()
    form = ReportPeriodForm(request.GET or None, initial={"start": start, "end": end})
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    by_reviewer = can(request.user, "review_report.view_by_reviewer", program)
    report = report_figures.review_report(program, start, end, by_reviewer=by_reviewer)
    return render(request, "content_review/report.html",
                  {"program": program, "form": form, "report": report, "by_reviewer": by_reviewer})
