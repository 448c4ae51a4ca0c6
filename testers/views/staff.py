"""Staff pages of one program: overview, settings, team, artists, invitations, terms, feedback triage, time
approvals."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from atelier.display import format_day, format_duration
from atelier.http import perform
from atelier.permissions import can, get_object_for, get_program_for, staff_roles
from atelier.search import matching, query_of
from testers import actions, selectors, staff_links
from testers.forms import (
    ArtistFilterForm, ClauseForm, DraftSummaryForm, FeedbackFilterForm, InvitationForm, InvitationImportForm,
    MembershipStatusForm, MilestoneForm, ProgramSettingsForm, PublishForm, RejectTimeForm, ReplyForm, StaffInviteForm,
    StaffRoleChangeForm, TimeFilterForm, TriageForm,
)
from testers.models import Clause, Feedback, Invitation, Membership, Milestone, StaffRole, TermsVersion, TimeLog
from testers.selectors import program_milestones
from testers.services import invitations as invitation_services
from testers.services import milestones as milestone_services
from testers.services import terms as terms_services
from testers.views import bulk, paginate


def _program(request, slug, action="program.view_staff"):
    return get_program_for(request.user, action, slug)


@login_required
def staff_program(request, slug):
    program = _program(request, slug)
    roles = sorted(staff_roles(request.user).get(program.pk, set()))
    memberships = Membership.objects.filter(program=program).aggregate(
        active=Count("pk", filter=Q(status=Membership.Status.ACTIVE)),
        paused=Count("pk", filter=Q(status=Membership.Status.PAUSED)),
        removed=Count("pk", filter=Q(status=Membership.Status.REMOVED)),
    )
    counts = {
        **memberships,
        "pending_invitations": Invitation.objects.filter(program=program, status=Invitation.Status.PENDING).count(),
        "new_feedback": Feedback.objects.filter(membership__program=program, status=Feedback.Status.NEW).count(),
        "pending_time": TimeLog.objects.filter(membership__program=program, status=TimeLog.Status.PENDING).count(),
    }
    current = selectors.current_terms(program)
    own_links = [
        (label, name, action, count)
        for label, name, action, count in [
            ("Artists", "testers:staff_artists", "membership.view", counts["active"]),
            ("Invitations", "testers:staff_invitations", "invitation.manage", counts["pending_invitations"]),
            ("Terms", "testers:staff_terms", "program.view_staff", None),
            ("Milestones", "testers:staff_milestones", "program.view_staff", None),
            ("Feedback triage", "testers:staff_feedback", "feedback.view", counts["new_feedback"]),
            ("Time approvals", "testers:staff_timelogs", "timelog.view", counts["pending_time"]),
            ("Team", "testers:staff_team", "staff_role.manage", None),
            ("Program settings", "testers:staff_settings", "program.manage", None),
        ]
        if can(request.user, action, program)
    ]
    # Each figure opens the list it counts, for those who may see that list.
    allowed = {name for _, name, _, _ in own_links}
    cards = [
        (counts["active"], f"active artists ({counts['paused']} paused, {counts['removed']} removed)",
         "testers:staff_artists", "?status=active"),
        (counts["pending_invitations"], "pending invitations", "testers:staff_invitations", "?status=pending"),
        (counts["new_feedback"], "new feedback to triage", "testers:staff_feedback", "?status=new"),
        (counts["pending_time"], "time logs waiting", "testers:staff_timelogs", "?status=pending"),
    ]
    cards = [(value, label, reverse(name, args=[program.slug]) + query if name in allowed else None)
             for value, label, name, query in cards]
    return render(request, "testers/staff/program.html", {
        "program": program, "roles": roles, "counts": counts, "current_terms": current, "cards": cards,
        "own_links": own_links, "other_links": staff_links.links_for(request.user, program),
    })


# --- settings and team ----------------------------------------------------------------------------

@login_required
def staff_settings(request, slug):
    program = _program(request, slug, "program.manage")
    form = ProgramSettingsForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        changed = {name: value for name, value in form.values().items() if getattr(program, name) != value}
        if not changed:
            messages.info(request, "Nothing changed.")
            return redirect("testers:staff_settings", slug=slug)
        if perform(request, actions.ChangeProgramSettings(request.user, program, **changed), form=form,
                   success="Settings saved.") is not None:
            return redirect("testers:staff_settings", slug=slug)
    return render(request, "testers/staff/settings.html", {"program": program, "form": form},
                  )


@login_required
def staff_team(request, slug):
    program = _program(request, slug, "staff_role.manage")
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if perform(request, actions.InviteStaff(request.user, program=program, email=data["email"], role=data["role"]),
                   form=form) is not None:
            messages.success(request, f"{data['email']} is now {StaffRole.Role(data['role']).label.lower()} of "
                                      f"{program.name}; they were sent an e-mail.")
            return redirect("testers:staff_team", slug=slug)
    return render(request, "testers/staff/team.html", {
        "program": program, "form": form, "page_obj": paginate(request, selectors.program_team(program)),
        "roles": StaffRole.Role.choices,
    })


def _staff_role(request, slug, pk):
    program = _program(request, slug, "staff_role.manage")
    return get_object_or_404(StaffRole.objects.select_related("user", "program"), program=program, pk=pk)


@login_required
@require_POST
def staff_role_change(request, slug, pk):
    staff_role = _staff_role(request, slug, pk)
    form = StaffRoleChangeForm(request.POST)
    role = form.cleaned_data["role"] if form.is_valid() else ""
    perform(request, actions.ChangeStaffRole(request.user, staff_role, role=role),
            success=f"{staff_role.user.email} is now {StaffRole.Role(role).label.lower() if role else ''}.")
    return redirect("testers:staff_team", slug=slug)


@login_required
@require_POST
def staff_role_revoke(request, slug, pk):
    staff_role = _staff_role(request, slug, pk)
    perform(request, actions.RevokeStaffRole(request.user, staff_role),
            success=f"{staff_role.user.email} no longer holds the {staff_role.get_role_display().lower()} role.")
    return redirect("testers:staff_team", slug=slug)


# --- artists --------------------------------------------------------------------------------------

@login_required
def staff_artist_search(request, slug):
    """The artist autocomplete (htmx): at most 20 artists of the program by name, or by e-mail for staff who may
    see addresses. Each result is a link that sets `artist` on the page that asked."""
    program = _program(request, slug)
    q = query_of(request)
    by_email = can(request.user, "membership.view", program)
    return render(request, "testers/staff/_artist_search.html", {
        "program": program, "q": q, "results": list(selectors.artist_search(program, q, by_email=by_email)),
        "by_email": by_email, "limit": selectors.ARTIST_SEARCH_LIMIT,
    })


@login_required
def staff_artists(request, slug):
    program = _program(request, slug, "membership.view")
    form = ArtistFilterForm(request.GET or None)
    memberships = selectors.memberships_of_program(program)
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            memberships = memberships.filter(status=data["status"])
        if data["cohort"]:
            memberships = memberships.filter(cohort__iexact=data["cohort"])
        if data["q"]:
            memberships = memberships.filter(Q(artist__display_name__icontains=data["q"])
                                             | Q(artist__user__email__icontains=data["q"]))
    current = selectors.current_terms(program)
    return render(request, "testers/staff/artists.html", {
        "program": program, "form": form, "page_obj": paginate(request, memberships), "current_terms": current,
    })


@login_required
def staff_artist(request, slug, pk):
    program = _program(request, slug, "membership.view")
    membership = get_object_for(request.user, "membership.view",
                                Membership.objects.select_related("artist__user", "program").filter(program=program),
                                program_path="program", pk=pk)
    form = MembershipStatusForm(request.POST or None)
    if request.method == "POST":
        membership = get_object_for(request.user, "membership.manage",
                                    Membership.objects.select_related("artist__user", "program").filter(program=program),
                                    program_path="program", pk=pk)
        if form.is_valid():
            action = actions.status_action(membership, form.cleaned_data["status"])
            if perform(request, action(request.user, membership, note=form.cleaned_data["note"]), form=form,
                       success="Membership updated.") is not None:
                return redirect("testers:staff_artist", slug=slug, pk=pk)
    acceptances = membership.acceptances.select_related("terms_version").order_by("-terms_version__number")
    return render(request, "testers/staff/artist.html", {
        "program": program, "membership": membership, "form": form, "acceptances": acceptances,
        "recent_feedback": membership.feedback.order_by("-created_at")[:10],
        "recent_time": membership.time_logs.order_by("-date", "-id")[:10],
    })


# --- invitations ------------------------------------------------------------------------------------

@login_required
def staff_invitations(request, slug):
    program = _program(request, slug, "invitation.manage")
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation = perform(request, actions.CreateInvitation(request.user, program=program, **form.cleaned_data),
                             form=form)
        if invitation is not None:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("testers:staff_invitations", slug=slug)
    status = request.GET.get("status", "")
    q = query_of(request)
    invitations = Invitation.objects.filter(program=program).select_related("invited_by", "accepted_by")
    if status in Invitation.Status.values:
        invitations = invitations.filter(status=status)
    invitations = matching(invitations, q, "email", "name", "cohort")
    return render(request, "testers/staff/invitations.html", {
        "program": program, "form": form, "import_form": InvitationImportForm(),
        "page_obj": paginate(request, invitations.order_by("-created_at", "-id")), "status": status,
        "statuses": Invitation.Status.choices, "q": q, "bulk": bulk.INVITATIONS,
    })


@login_required
def staff_invitations_import(request, slug):
    program = _program(request, slug, "invitation.manage")
    form = InvitationImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = invitation_services.parse_invitation_csv(program, form.cleaned_data["file"].read())
        except invitation_services.CsvRejected as rejected:
            errors = rejected.rows
            form.add_error(None, str(rejected))
        else:
            created = perform(request, actions.ImportInvitations(request.user, program=program, rows=rows), form=form)
            if created is not None:
                messages.success(request, f"{len(created)} invitation(s) sent.")
                return redirect("testers:staff_invitations", slug=slug)
    return render(request, "testers/staff/invitations_import.html",
                  {"program": program, "form": form, "errors": errors}, status=400 if errors else 200)


def _invitation(request, slug, pk):
    program = _program(request, slug, "invitation.manage")
    return get_object_or_404(Invitation.objects.select_related("program"), program=program, pk=pk)


@login_required
@require_POST
def staff_invitation_resend(request, slug, pk):
    invitation = _invitation(request, slug, pk)
    perform(request, actions.ResendInvitation(request.user, invitation),
            success=f"Invitation sent again to {invitation.email}, with a new link.")
    return redirect("testers:staff_invitations", slug=slug)


@login_required
@require_POST
def staff_invitation_revoke(request, slug, pk):
    invitation = _invitation(request, slug, pk)
    perform(request, actions.RevokeInvitation(request.user, invitation),
            success=f"Invitation of {invitation.email} revoked; its link no longer works.")
    return redirect("testers:staff_invitations", slug=slug)


# --- terms ------------------------------------------------------------------------------------------

@login_required
def staff_terms(request, slug):
    program = _program(request, slug)
    versions = (
        TermsVersion.objects.filter(program=program).select_related("published_by")
        .annotate(clause_count=Count("clauses", distinct=True), acceptance_count=Count("acceptances", distinct=True))
        .order_by("-number")
    )
    return render(request, "testers/staff/terms.html", {
        "program": program, "page_obj": paginate(request, versions), "current": selectors.current_terms(program),
        "draft_refusal": actions.DraftTerms(request.user, program=program).check(),
    })


@login_required
@require_POST
def staff_terms_draft(request, slug):
    program = _program(request, slug, "terms.manage")
    draft = perform(request, actions.DraftTerms(request.user, program=program))
    if draft is None:
        return redirect("testers:staff_terms", slug=slug)
    messages.success(request, f"Draft version {draft.number} created from the last version.")
    return redirect("testers:staff_terms_version", slug=slug, number=draft.number)


def _version(program, number):
    return get_object_or_404(TermsVersion.objects.select_related("program", "published_by"), program=program,
                             number=number)


@login_required
def staff_terms_version(request, slug, number):
    program = _program(request, slug)
    version = _version(program, number)
    summary_form = DraftSummaryForm(request.POST or None, initial={"summary": version.summary})
    if request.method == "POST":
        if summary_form.is_valid():
            perform(request, actions.EditTermsSummary(request.user, version,
                                                      summary=summary_form.cleaned_data["summary"]),
                    success="Summary saved.")
            return redirect("testers:staff_terms_version", slug=slug, number=number)
    previous = (
        TermsVersion.objects.filter(program=program, number__lt=version.number, status=TermsVersion.Status.PUBLISHED)
        .order_by("-number").first()
    )
    changes = terms_services.diff_versions(previous, version)
    effective_date = terms_services.default_effective_date(program)
    # Asked without a clause, AddClause refuses for the missing fields (kind "rule"): only who and status count here.
    edit_refusal = actions.AddClause(request.user, version).check()
    may_edit = edit_refusal is None or edit_refusal.kind == "rule"
    return render(request, "testers/staff/terms_version.html", {
        "program": program, "version": version, "previous": previous, "changes": changes,
        "clauses": version.clauses.select_related("ends_at_milestone"), "may_edit": may_edit,
        "summary_form": summary_form, "publish_form": PublishForm(initial={"effective_date": effective_date}),
        "clause_form": ClauseForm(program=program), "changed": [c for c in changes if c.kind != "unchanged"],
        "impact": terms_services.publication_impact(program, effective_date) if may_edit else "",
    })


@login_required
def staff_clause_add(request, slug, number):
    program = _program(request, slug, "terms.manage")
    version = _version(program, number)
    form = ClauseForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if perform(request, actions.AddClause(request.user, version, klass=data["klass"], title=data["title"],
                                              text=data["text"], examples=data["examples"],
                                              ends_on=data["ends_on"], ends_at_milestone=data["ends_at_milestone"]),
                   form=form, success="Clause added.") is not None:
            return redirect("testers:staff_terms_version", slug=slug, number=number)
    return render(request, "testers/staff/clause_form.html", {"program": program, "version": version, "form": form})


@login_required
def staff_clause_edit(request, slug, number, clause_id):
    program = _program(request, slug, "terms.manage")
    version = _version(program, number)
    clause = get_object_or_404(Clause, terms_version=version, pk=clause_id)
    form = ClauseForm(request.POST or None, instance=Clause.objects.get(pk=clause.pk), program=program)
    if request.method == "POST":
        if request.POST.get("delete") == "yes":
            perform(request, actions.RemoveClause(request.user, version, clause=clause), success="Clause removed.")
            return redirect("testers:staff_terms_version", slug=slug, number=number)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in ClauseForm.Meta.fields}
            if perform(request, actions.ChangeClause(request.user, version, clause=clause, **values), form=form,
                       success="Clause saved.") is not None:
                return redirect("testers:staff_terms_version", slug=slug, number=number)
    return render(request, "testers/staff/clause_form.html",
                  {"program": program, "version": version, "form": form, "clause": clause})


@login_required
@require_POST
def staff_terms_publish(request, slug, number):
    program = _program(request, slug, "terms.manage")
    version = _version(program, number)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid effective date.")
    else:
        perform(request, actions.PublishTerms(request.user, version, effective_date=form.cleaned_data["effective_date"]),
                success=f"Version {version.number} published. Artists will be asked to accept it.")
    return redirect("testers:staff_terms_version", slug=slug, number=number)


@login_required
def staff_terms_acceptance(request, slug, number):
    """Who accepted a published version, who has not; a manager reminds those who have not."""
    program = _program(request, slug, "terms.manage")
    version = _version(program, number)
    if not version.is_published:
        raise Http404("Not published.")
    progress = terms_services.acceptance_progress(version)
    return render(request, "testers/staff/terms_acceptance.html", {
        "program": program, "version": version, "progress": progress,
        "page_obj": paginate(request, progress["waiting"]),
        "remind_refusal": actions.RemindTerms(request.user, version).check(),
    })


@login_required
@require_POST
def staff_terms_remind(request, slug, number):
    program = _program(request, slug, "terms.manage")
    version = _version(program, number)
    perform(request, actions.RemindTerms(request.user, version),
            success="Reminder sent to every artist who has not accepted these terms yet.")
    return redirect("testers:staff_terms_acceptance", slug=slug, number=number)


# --- feedback triage ----------------------------------------------------------------------------------

@login_required
def staff_feedback(request, slug):
    program = _program(request, slug, "feedback.view")
    form = FeedbackFilterForm(request.GET or None)
    items = selectors.feedback_queue(program)
    if form.is_valid():
        data = form.cleaned_data
        for name in ("status", "kind", "severity"):
            if data[name]:
                items = items.filter(**{name: data[name]})
        if data["cohort"]:
            items = items.filter(membership__cohort__iexact=data["cohort"])
        if data["q"]:
            items = items.filter(Q(title__icontains=data["q"]) | Q(membership__artist__display_name__icontains=data["q"]))
    return render(request, "testers/staff/feedback_list.html",
                  {"program": program, "form": form, "page_obj": paginate(request, items),
                   "bulk": bulk.FEEDBACK, "may_triage": can(request.user, "feedback.triage", program)})


@login_required
def staff_feedback_detail(request, slug, pk):
    program = _program(request, slug, "feedback.view")
    queryset = Feedback.objects.select_related("membership__artist__user", "membership__program", "duplicate_of",
                                               "accepted_by").filter(membership__program=program)
    feedback = get_object_for(request.user, "feedback.view", queryset, program_path="membership__program", pk=pk)
    # The triage form offers the statuses whose action the person may run now (a missing reason or original is
    # asked for by the form, so a "rule" refusal still offers the choice).
    checks = {status: action(request.user, feedback).check() for status, action in actions.TRIAGE_ACTIONS.items()}
    choices = [(value, label) for value, label in Feedback.Status.choices
               if value in checks and (checks[value] is None or checks[value].kind == "rule")]
    may_triage = any(refusal is None or refusal.kind != "permission" for refusal in checks.values())
    reply_refusal = actions.ReplyToFeedback(request.user, feedback).check()
    triage_form = TriageForm(choices=choices)
    reply_form = ReplyForm()
    if request.method == "POST":
        if request.POST.get("action") == "reply":
            reply_form = ReplyForm(request.POST)
            if reply_form.is_valid() and perform(
                request, actions.ReplyToFeedback(request.user, feedback, message=reply_form.cleaned_data["message"]),
                form=reply_form, success="Reply sent to the artist.",
            ) is not None:
                return redirect("testers:staff_feedback_detail", slug=slug, pk=pk)
        else:
            triage_form = TriageForm(request.POST, choices=[(v, label) for v, label in Feedback.Status.choices])
            if triage_form.is_valid():
                data = triage_form.cleaned_data
                original = None
                if data["duplicate_of"]:
                    original = (Feedback.objects.select_related("membership")
                                .filter(membership__program=program, pk=data["duplicate_of"]).first())
                    if original is None:
                        triage_form.add_error("duplicate_of", "No item with this number in this program.")
                if triage_form.is_valid():
                    action = actions.triage_action(request.user, feedback, data["to_status"],
                                                   message=data["message"], original=original,
                                                   build=data["shipped_in"])
                    if perform(request, action, form=triage_form,
                               success="Status changed; the artist sees it.") is not None:
                        return redirect("testers:staff_feedback_detail", slug=slug, pk=pk)
            triage_form.fields["to_status"].choices = choices
    return render(request, "testers/staff/feedback_detail.html", {
        "program": program, "feedback": feedback, "page_obj": paginate(request, selectors.feedback_events(feedback), 50),
        "attachments": feedback.attachments.all(), "triage_form": triage_form, "reply_form": reply_form,
        "may_triage": may_triage, "reply_refusal": reply_refusal,
    })


# --- time approvals ------------------------------------------------------------------------------------

@login_required
def staff_timelogs(request, slug):
    program = _program(request, slug, "timelog.view")
    data = request.GET.copy()
    data.setdefault("status", TimeLog.Status.PENDING)
    form = TimeFilterForm(data)
    logs = selectors.time_queue(program)
    if form.is_valid():
        if form.cleaned_data["status"]:
            logs = logs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["cohort"]:
            logs = logs.filter(membership__cohort__iexact=form.cleaned_data["cohort"])
        if form.cleaned_data["q"]:
            logs = logs.filter(Q(membership__artist__display_name__icontains=form.cleaned_data["q"])
                               | Q(membership__artist__user__email__icontains=form.cleaned_data["q"]))
    return render(request, "testers/staff/timelogs.html", {
        "program": program, "form": form, "page_obj": paginate(request, logs), "reject_form": RejectTimeForm(),
        "may_approve": can(request.user, "timelog.approve", program), "bulk": bulk.TIME,
    })


@login_required
@require_POST
def staff_timelog_decide(request, slug, pk):
    program = _program(request, slug, "timelog.view")
    log = get_object_for(request.user, "timelog.view",
                         TimeLog.objects.select_related("membership__program").filter(membership__program=program),
                         program_path="membership__program", pk=pk)
    if request.POST.get("decision") == "approve":
        perform(request, actions.ApproveTimeLog(request.user, log),
                success=f"Approved {format_duration(log.minutes)} on {format_day(log.date)}.")
    else:
        form = RejectTimeForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        perform(request, actions.RejectTimeLog(request.user, log, reason=reason),
                success="Rejected; the artist sees your reason.")
    next_url = request.POST.get("next", "")
    if next_url.startswith(f"/staff/{program.slug}/"):
        return redirect(next_url)
    return redirect("testers:staff_timelogs", slug=slug)


# --- milestones (confidentiality that ends) ------------------------------------------------------------

@login_required
def staff_milestones(request, slug):
    """The program's milestones, with the clauses that end at each; a manager creates them here."""
    program = _program(request, slug)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST":
        program = _program(request, slug, "milestone.manage")
        if form.is_valid():
            if perform(request, actions.CreateMilestone(request.user, program=program, name=form.cleaned_data["name"]),
                       form=form, success="Milestone created: clauses of draft terms can now end at it.") is not None:
                return redirect("testers:staff_milestones", slug=slug)
    return render(request, "testers/staff/milestones.html", {
        "program": program, "page_obj": paginate(request, program_milestones(program)), "form": form,
        "may_manage": can(request.user, "milestone.manage", program),
    })


@login_required
def staff_milestone_announce(request, slug, pk):
    """Announce a milestone, after a confirmation page that lists what it frees."""
    program = _program(request, slug, "milestone.manage")
    milestone = get_object_or_404(Milestone.objects.select_related("program"), program=program, pk=pk)
    if request.method == "POST":
        if perform(request, actions.AnnounceMilestone(request.user, milestone),
                   success=f"“{milestone.name}” announced: the clauses that ended at it are free to share now, and "
                           f"their artists are told.") is not None:
            return redirect("testers:staff_milestones", slug=slug)
        return redirect("testers:staff_milestone_announce", slug=slug, pk=pk)
    return render(request, "testers/staff/milestone_announce.html", {
        "program": program, "milestone": milestone, "clauses": milestone_services.clauses_ending_at(milestone),
        "refusal": actions.AnnounceMilestone(request.user, milestone).check(),
    })
