"""Pages of content review: the artist's share requests, the staff review queue, the public showcase,
the transparency report, and the views that serve private and published files after checking access."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.pagination import paginate
from atelier.errors import DomainError
from atelier.permissions import can, get_object_for, get_program_for, has_role, is_site_admin
from content_review import selectors, services
from content_review.forms import AppealForm, DecisionForm, QueueFilterForm, ReportPeriodForm, ShareRequestForm
from content_review.models import Appeal, ShareRequest, Work
from content_review.storage import private_storage
from testers.models import Membership, Program, StaffRole
from testers.selectors import accepted_version, require_participation

PAGE_SIZE = 20
REQUEST_PATHS = {"program_path": "membership__program", "owner_path": "membership__artist__user"}
WORK_PATHS = {"program_path": "share_request__membership__program",
              "owner_path": "share_request__membership__artist__user"}



def _own_request(request, pk, action="share_request.edit"):
    return get_object_for(request.user, action, selectors.request_detail_queryset(), pk=pk, **REQUEST_PATHS)


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


@login_required
def new_request(request, slug):
    membership = (Membership.objects.filter(program__slug=slug, artist__user=request.user)
                  .exclude(status=Membership.Status.REMOVED).select_related("program", "artist").first())
    if membership is None or not can(request.user, "share_request.create", membership):
        raise Http404("Not found.")
    try:
        require_participation(membership)
    except DomainError as exc:
        return render(request, "content_review/cannot_share.html", {"membership": membership, "reason": str(exc)})
    version = accepted_version(membership)
    form = ShareRequestForm(request.POST or None, request.FILES or None, terms_version=version)
    if request.method == "POST" and form.is_valid():
        try:
            share_request = services.create_share_request(membership=membership, by=request.user,
                                                          **_form_fields(form))
        except DomainError as exc:
            _add_upload_errors(form, exc)
        else:
            messages.success(request, "Draft saved. Check it, then submit it for review.")
            return redirect("content_review:request_detail", pk=share_request.pk)
    return render(request, "content_review/request_form.html",
                  {"form": form, "membership": membership, "program": membership.program, "share_request": None})


@login_required
def edit_request(request, pk):
    share_request = _own_request(request, pk)
    if share_request.status not in ShareRequest.EDITABLE:
        messages.error(request, "This request can no longer be edited.")
        return redirect("content_review:request_detail", pk=pk)
    works = list(share_request.works.all())
    initial = {"title": share_request.title, "caption": share_request.caption,
               "platforms": share_request.platforms, "platform_other": share_request.platform_other,
               "planned_post_date": share_request.planned_post_date, "clauses": list(share_request.clauses.all())}
    version = accepted_version(share_request.membership)
    form = ShareRequestForm(request.POST or None, request.FILES or None, initial=initial, terms_version=version,
                            works=works)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_share_request(
                share_request, by=request.user,
                remove_work_ids=[int(x) for x in form.cleaned_data.get("remove_works") or []],
                **_form_fields(form))
        except DomainError as exc:
            _add_upload_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("content_review:request_detail", pk=pk)
    return render(request, "content_review/request_form.html",
                  {"form": form, "membership": share_request.membership, "program": share_request.membership.program,
                   "share_request": share_request})


def _detail_context(request, share_request):
    decisions = list(share_request.decisions.all())
    appeal = getattr(share_request, "appeal", None) if hasattr(share_request, "appeal") else None
    clauses = list(share_request.clauses.all())
    user = request.user
    is_owner = share_request.membership.artist.user_id == user.pk
    works = list(share_request.works.all())
    return {
        "share_request": share_request, "program": share_request.membership.program,
        "works": works, "any_processing": any(w.is_processing for w in works), "decisions": decisions, "latest_decision": decisions[0] if decisions else None,
        "appeal": appeal, "clauses": clauses, "needs_review": services.needs_review(share_request, clauses),
        "is_owner": is_owner,
        "can_edit": is_owner and share_request.status in ShareRequest.EDITABLE,
        "can_withdraw": is_owner and share_request.status in ShareRequest.WITHDRAWABLE,
        "can_appeal": is_owner and share_request.status == ShareRequest.Status.REFUSED and appeal is None,
        "can_consent": is_owner and share_request.status == ShareRequest.Status.APPROVED,
    }


@login_required
def request_detail(request, pk):
    share_request = _own_request(request, pk, "share_request.view")
    return render(request, "content_review/request_detail.html", _detail_context(request, share_request))


@login_required
def request_works(request, pk):
    """The works panel alone (htmx polls it while derived files are being made)."""
    share_request = _own_request(request, pk, "share_request.view")
    context = _detail_context(request, share_request)
    context["large"] = request.GET.get("large") == "1"
    if context["large"]:
        context["can_consent"] = False
    return render(request, "content_review/_works.html", context)


@login_required
@require_POST
def submit_request(request, pk):
    share_request = _own_request(request, pk)
    try:
        services.submit_share_request(share_request, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Submitted for review. You will get an e-mail when it is decided.")
    return redirect("content_review:request_detail", pk=pk)


@login_required
@require_POST
def withdraw_request(request, pk):
    share_request = _own_request(request, pk)
    try:
        services.withdraw_share_request(share_request, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("content_review:request_detail", pk=pk)


@login_required
def appeal_request(request, pk):
    share_request = _own_request(request, pk, "share_request.appeal")
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_refusal(share_request, by=request.user, message=form.cleaned_data["message"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Appeal sent. Another reviewer will decide; their decision is final.")
            return redirect("content_review:request_detail", pk=pk)
    refusal = next((d for d in share_request.decisions.all() if d.outcome == "refuse"), None)
    return render(request, "content_review/appeal_form.html",
                  {"form": form, "share_request": share_request, "refusal": refusal})


def _work_for(request, work_pk, action):
    return get_object_for(request.user, action, Work.objects.select_related("share_request__membership"),
                          pk=work_pk, **WORK_PATHS)


@login_required
@require_POST
def retry_work(request, work_pk):
    work = _work_for(request, work_pk, "share_request.view")
    try:
        services.retry_work(work, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Processing “{work.original_name}” again.")
    if request.POST.get("next") == "review" and can(request.user, "share_request.decide", work.share_request):
        return redirect("content_review:review", slug=work.share_request.membership.program.slug,
                        pk=work.share_request_id)
    return redirect("content_review:request_detail", pk=work.share_request_id)


@login_required
@require_POST
def showcase_consent(request, work_pk):
    work = _work_for(request, work_pk, "showcase.manage")
    consent = request.POST.get("consent") == "yes"
    try:
        services.set_showcase_consent(work, by=request.user, consent=consent)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{work.original_name}” {'will be shown' if consent else 'is no longer shown'} "
                                  "on the showcase.")
    return redirect("content_review:request_detail", pk=work.share_request_id)


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
    artists = list(selectors.queue_artists(program))
    form = QueueFilterForm(request.GET or None, artists=artists)
    status, artist_id, overdue = "open", None, False
    if form.is_valid():
        status = form.cleaned_data["status"] or "open"
        artist_id = form.cleaned_data["artist"] or None
        overdue = form.cleaned_data["overdue"]
    page = paginate(request, selectors.review_queue(program, status=status, artist_id=artist_id, overdue=overdue),
                    PAGE_SIZE)
    return render(request, "content_review/staff/queue.html",
                  {"program": program, "form": form, "page_obj": page, "status": status})


@login_required
def review(request, slug, pk):
    program = _staff_program(request, slug)
    share_request = get_object_for(request.user, "share_request.decide",
                                   selectors.request_detail_queryset().filter(membership__program=program),
                                   pk=pk, **REQUEST_PATHS)
    context = _detail_context(request, share_request)
    user = request.user
    may_decide = share_request.status == ShareRequest.Status.SUBMITTED or (
        share_request.status == ShareRequest.Status.ESCALATED
        and (has_role(user, program, StaffRole.Role.MANAGER) or is_site_admin(user)))
    may_decide = may_decide and share_request.membership.artist.user_id != user.pk
    appeal = context["appeal"]
    may_decide_appeal = bool(
        appeal and appeal.status == Appeal.Status.PENDING and can(user, "appeal.decide", appeal)
        and (appeal.assigned_to_id == user.pk or has_role(user, program, StaffRole.Role.MANAGER) or is_site_admin(user)))
    is_appeal_post = request.POST.get("on_appeal") == "1"
    form = DecisionForm(request.POST if request.method == "POST" and not is_appeal_post else None,
                        terms_version=share_request.terms_version)
    appeal_form = DecisionForm(request.POST if request.method == "POST" and is_appeal_post else None,
                               terms_version=share_request.terms_version, appeal=True, prefix="appeal")
    if request.method == "POST":
        target = appeal_form if is_appeal_post else form
        if target.is_valid():
            data = target.cleaned_data
            fields = {"outcome": data["outcome"], "reason": data["reason"],
                      "clause_ids": [c.pk for c in data["clauses"]], "embargo_until": data["embargo_until"],
                      "required_caption": data["required_caption"], "required_credit": data["required_credit"]}
            try:
                if is_appeal_post:
                    if appeal is None:
                        raise Http404("Not found.")
                    appeal = get_object_for(user, "appeal.decide", Appeal.objects.all(), pk=appeal.pk,
                                            program_path="share_request__membership__program")
                    services.decide_appeal(appeal, by=user, **fields)
                else:
                    services.decide_share_request(share_request, by=user, **fields)
            except DomainError as exc:
                target.add_error(None, str(exc))
            else:
                messages.success(request, "Decision recorded; the artist has been told by e-mail.")
                return redirect("content_review:queue", slug=program.slug)
    context.update({"form": form, "appeal_form": appeal_form, "may_decide": may_decide,
                    "may_decide_appeal": may_decide_appeal, "staff_view": True})
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
    report = selectors.review_report(program, start, end, by_reviewer=by_reviewer)
    return render(request, "content_review/report.html",
                  {"program": program, "form": form, "report": report, "by_reviewer": by_reviewer})
