"""Demo data for the testers app: a program, its staff, a dozen artists in varied states, terms."""
from datetime import date, timedelta

from django.utils import timezone

from atelier.accounts import ensure_totp, ensure_user
from testers import media
from testers.models import (
    ArtistProfile, Clause, Feedback, FeedbackAttachment, FeedbackEvent, Invitation, Membership, Milestone, Program,
    StaffRole, TermsAcceptance, TermsVersion, TimeLog,
)

DEMO_PASSWORD = "atelier-demo-2026"
# Fixed TOTP secrets so the demo staff can add them to an authenticator app once.
STAFF = [
    ("manager@atelier.test", "Maya", "Manager", StaffRole.Role.MANAGER, "JBSWY3DPEHPK3PXPMANAGER2"),
    ("reviewer@atelier.test", "Ravi", "Reviewer", StaffRole.Role.REVIEWER, "JBSWY3DPEHPK3PXPREVIEWR2"),
    ("reviewer2@atelier.test", "Rosa", "Second-Reviewer", StaffRole.Role.REVIEWER, "JBSWY3DPEHPK3PXPREVIEWR3"),
    ("finance@atelier.test", "Fei", "Finance", StaffRole.Role.FINANCE, "JBSWY3DPEHPK3PXPFINANCE2"),
    ("finance2@atelier.test", "Femi", "Second-Finance", StaffRole.Role.FINANCE, "JBSWY3DPEHPK3PXPFINANCE3"),
]
ADMIN = ("admin@atelier.test", "Ada", "Admin", "JBSWY3DPEHPK3PXPADMINXX2")

# (e-mail, display name, country, membership status, cohort, accepted terms version or None)
ARTISTS = [
    ("ana@artists.test", "Ana Lima", "BR", Membership.Status.ACTIVE, "spring", 2),
    ("ben@artists.test", "Ben Okafor", "NG", Membership.Status.ACTIVE, "spring", 2),
    ("chloe@artists.test", "Chloé Martin", "FR", Membership.Status.ACTIVE, "spring", 1),
    ("dev@artists.test", "Dev Patel", "IN", Membership.Status.ACTIVE, "autumn", 2),
    ("emi@artists.test", "Emi Sato", "JP", Membership.Status.ACTIVE, "autumn", None),
    ("finn@artists.test", "Finn Larsen", "DK", Membership.Status.PAUSED, "spring", 2),
    ("gia@artists.test", "Gia Romano", "IT", Membership.Status.ACTIVE, "autumn", 2),
    ("hugo@artists.test", "Hugo Silva", "PT", Membership.Status.REMOVED, "spring", 1),
    ("isla@artists.test", "Isla Brown", "GB", Membership.Status.ACTIVE, "autumn", 2),
    ("jun@artists.test", "Jun Park", "KR", Membership.Status.ACTIVE, "spring", 1),
]
INVITED = [
    ("kai@artists.test", "Kai Müller", "autumn", timedelta(days=10)),
    ("lena@artists.test", "Lena Novak", "autumn", timedelta(days=-2)),  # expired
]

CLAUSES_V1 = [
    ("unreleased-features", Clause.Klass.CONFIDENTIAL, "Unreleased features",
     "Do not show or describe features that have not been announced.",
     "The timeline editor, the new style presets."),
    ("outputs", Clause.Klass.NEEDS_APPROVAL, "Your outputs",
     "Images and videos you make with the beta may be shared after a review.",
     "A finished illustration made with the beta."),
    ("participation", Clause.Klass.FREE_TO_SHARE, "That you take part",
     "You may say that you are in the program and what you think of it in general.",
     "“I'm testing Lumen's beta and loving it.”"),
]
CLAUSES_V2 = CLAUSES_V1[:2] + [
    ("participation", Clause.Klass.FREE_TO_SHARE, "That you take part",
     "You may say that you are in the program, what you think of it, and show your face in the program's events.",
     "“I'm testing Lumen's beta and loving it.” A photo from the launch meetup."),
    ("bug-details", Clause.Klass.CONFIDENTIAL, "Bugs and crashes",
     "Do not post bug reports, crash screens or error messages publicly; send them as feedback.",
     "A screenshot of an error dialog."),
]


def _terms(program, number, clauses, effective, ends=None):
    """`ends`: {clause key: Milestone} — the clauses that end at a milestone (confidentiality that ends)."""
    version, created = TermsVersion.objects.get_or_create(
        program=program, number=number, defaults={"status": TermsVersion.Status.DRAFT}
    )
    if created:
        for position, (key, klass, title, text, examples) in enumerate(clauses, start=1):
            Clause.objects.create(terms_version=version, position=position, key=key, klass=klass, title=title,
                                  text=text, examples=examples, ends_at_milestone=(ends or {}).get(key))
        version.status = TermsVersion.Status.PUBLISHED
        version.effective_date = effective
        version.published_at = timezone.now()
        version.summary = "First version." if number == 1 else "Bugs are now explicitly confidential; events may be shown."
        version.text_hash = version.compute_hash()
        version.save()
    return version


def seed(stdout=None):
    """Create or refresh the demo program and people. Safe to run twice."""
    program, _ = Program.objects.update_or_create(
        slug="lumen-beta",
        defaults={
            "name": "Lumen Beta", "currency": "USD", "status": Program.Status.ACTIVE,
            "description": "Early access to Lumen, an image and video generator, for working artists.",
            "review_sla_days": 3, "deadline_policy": Program.DeadlinePolicy.ESCALATE,
            "watermark_text": "Made with Lumen Beta", "changelog_public": True,
        },
    )
    credentials = []
    admin, _ = ensure_user(ADMIN[0], DEMO_PASSWORD, first_name=ADMIN[1], last_name=ADMIN[2], superuser=True)
    credentials.append((ADMIN[0], "site admin", ensure_totp(admin, ADMIN[3])))
    staff = {}
    for email, first, last, role, secret in STAFF:
        user, _ = ensure_user(email, DEMO_PASSWORD, first_name=first, last_name=last)
        StaffRole.objects.get_or_create(user=user, program=program, role=role)
        staff.setdefault(role, []).append(user)
        credentials.append((email, role, ensure_totp(user, secret)))

    v1 = _terms(program, 1, CLAUSES_V1, date.today() - timedelta(days=90))
    # Unreleased features stop being confidential at the public launch, which a manager announces.
    launch, _ = Milestone.objects.get_or_create(program=program, name="public launch",
                                                defaults={"created_by": staff["manager"][0]})
    v2 = _terms(program, 2, CLAUSES_V2, date.today() - timedelta(days=10), ends={"unreleased-features": launch})
    versions = {1: v1, 2: v2}

    memberships = []
    for email, name, country, status, cohort, accepted in ARTISTS:
        user, _ = ensure_user(email, DEMO_PASSWORD, first_name=name.split()[0], last_name=name.split()[-1])
        profile, _ = ArtistProfile.objects.get_or_create(
            user=user,
            defaults={"display_name": name, "legal_name": name, "country": country,
                      "credit_line": f"© {name}", "portfolio_url": f"https://portfolio.example/{name.split()[0].lower()}",
                      # all but two agree to be credited in the public changelog (which leaves the two out)
                      "changelog_credit": email not in ("emi@artists.test", "hugo@artists.test")},
        )
        membership, _ = Membership.objects.update_or_create(
            program=program, artist=profile, defaults={"status": status, "cohort": cohort}
        )
        for number in range(1, (accepted or 0) + 1):
            version = versions[number]
            TermsAcceptance.objects.get_or_create(
                membership=membership, terms_version=version,
                defaults={"text_hash": version.text_hash, "ip_address": "127.0.0.1"},
            )
        memberships.append(membership)
        credentials.append((email, f"artist ({membership.get_status_display().lower()})", ""))

    for email, name, cohort, valid_for in INVITED:
        Invitation.objects.filter(program=program, email=email, status=Invitation.Status.PENDING).delete()
        invitation = Invitation.objects.create(
            program=program, email=email, name=name, cohort=cohort, expires_at=timezone.now() + valid_for,
            invited_by=staff[StaffRole.Role.MANAGER][0], sent_count=1, last_sent_at=timezone.now(),
        )
        state = "expired" if valid_for.total_seconds() < 0 else "pending"
        credentials.append((email, f"invited ({state}): /invitations/{invitation.token}/", ""))

    context = {"program": program, "staff": staff, "memberships": memberships, "credentials": credentials,
               "terms": versions, "password": DEMO_PASSWORD}
    seed_feedback_and_time(context)
    return context


# --- feedback and testing time in every status (added by the testers app) --------------------------

# (artist e-mail, kind, severity, title, status, staff message)
FEEDBACK = [
    ("ana@artists.test", "bug", "high", "Export crashes on 4K video", "new", ""),
    ("ana@artists.test", "feature", "", "Let me pin a seed across a batch", "accepted", "Good idea — planned for the next beta."),
    ("ben@artists.test", "quality", "", "Hands look wrong in close-ups", "accepted", "Confirmed; the model team has it."),
    ("ben@artists.test", "bug", "medium", "Undo loses the mask", "shipped", "Fixed in build 0.9.3."),
    ("dev@artists.test", "bug", "low", "Export crashes with 4K clips", "duplicate", ""),
    ("gia@artists.test", "general", "", "The onboarding video is too long", "declined", "We keep it as it is for this beta; thank you."),
    ("isla@artists.test", "feature", "", "A palette picker from a reference image", "new", ""),
    ("chloe@artists.test", "quality", "", "Skin tones drift in batch renders", "new", ""),
]
# (artist e-mail, days ago, minutes, what, status, rejection reason)
TIME = [
    ("ana@artists.test", 1, 120, "Video export at every resolution", "pending", ""),
    ("ana@artists.test", 3, 90, "Style presets on portraits", "approved", ""),
    ("ben@artists.test", 2, 60, "Masking and undo", "approved", ""),
    ("ben@artists.test", 4, 600, "Everything, all day", "rejected", "Please split long days into sessions and say what you tested."),
    ("dev@artists.test", 1, 45, "Batch renders", "pending", ""),
    ("gia@artists.test", 5, 150, "Onboarding and first project", "approved", ""),
    ("isla@artists.test", 0, 30, "Palette tools", "pending", ""),
    ("finn@artists.test", 20, 75, "Before the pause: timeline", "approved", ""),
    ("dev@artists.test", 6, 40, "Logged twice by mistake", "withdrawn", ""),
]


def _demo_image_bytes(color):
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), color)
    ImageDraw.Draw(image).rectangle((40, 40, 600, 360), outline=(255, 255, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


DUPLICATE_OF = "Export crashes on 4K video"  # the original of the demo's duplicate item


def seed_feedback_and_time(context):
    """Feedback in every status and time logs in every status. Idempotent: keyed by artist and title/date."""
    from django.core.files.base import ContentFile

    manager = context["staff"][StaffRole.Role.MANAGER][0]
    by_email = {m.artist.user.email: m for m in context["memberships"]}
    created = {}
    # Duplicates last: a duplicate names its original when it is created (a database rule).
    for email, kind, severity, title, status, message in sorted(FEEDBACK, key=lambda row: row[4] == "duplicate"):
        membership = by_email[email]
        feedback, new = Feedback.objects.get_or_create(
            membership=membership, title=title,
            defaults={"kind": kind, "severity": severity, "status": status,
                      "duplicate_of": created.get(DUPLICATE_OF) if status == "duplicate" else None,
                      "body": f"{title}. Steps: open the beta, try it, see the result.",
                      "accepted_at": timezone.now() if status in ("accepted", "shipped") else None,
                      "accepted_by": manager if status in ("accepted", "shipped") else None,
                      "decline_reason": message if status == "declined" else "",
                      "shipped_in": "0.9.3" if status == "shipped" else "",
                      "shipped_at": timezone.now() if status == "shipped" else None},
        )
        created[title] = feedback
        if not new:
            continue
        FeedbackEvent.objects.create(feedback=feedback, author=membership.artist.user, kind="status", to_status="new",
                                     message="Sent.")
        path = {"accepted": ["accepted"], "shipped": ["accepted", "shipped"], "duplicate": ["duplicate"],
                "declined": ["declined"]}.get(status, [])
        previous = "new"
        for step in path:
            FeedbackEvent.objects.create(feedback=feedback, author=manager, kind="status", from_status=previous,
                                         to_status=step, message=message if step == path[-1] else "")
            previous = step
        if kind == "bug" and status == "new":
            attachment = FeedbackAttachment(feedback=feedback, original_name="export-crash.png", width=640, height=400)
            attachment.image.save("export-crash.png", ContentFile(_demo_image_bytes((180, 60, 60))), save=False)
            attachment.save()
            media.make_thumbnail(attachment)

    today = timezone.localdate()
    for email, days_ago, minutes, what, status, reason in TIME:
        membership = by_email[email]
        TimeLog.objects.get_or_create(
            membership=membership, date=today - timedelta(days=days_ago), description=what,
            defaults={"minutes": minutes, "status": status, "rejection_reason": reason,
                      "decided_by": manager if status in ("approved", "rejected") else None,
                      "decided_at": timezone.now() if status in ("approved", "rejected") else None},
        )
