"""Demo share requests in every state, with small generated images (and one video). Safe to run twice.

Called by `python manage.py seed_demo` after the testers demo, with its context. Everything goes through
the services, as a person would; derived files are made right away so the demo needs no worker.
"""
from __future__ import annotations

import io
from datetime import timedelta
from fractions import Fraction

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from content_review import services
from content_review.models import ShareRequest, Work
from testers.models import Clause, Membership, Program

PALETTES = [
    ((255, 183, 94), (237, 100, 166)), ((44, 62, 80), (76, 161, 175)), ((17, 153, 142), (56, 239, 125)),
    ((142, 45, 226), (74, 0, 224)), ((252, 70, 107), (63, 94, 251)), ((247, 151, 30), (255, 210, 0)),
    ((0, 180, 219), (0, 131, 176)), ((195, 20, 50), (36, 11, 54)),
]


def _image(index: int, label: str, fmt: str = "JPEG", size=(480, 320)) -> SimpleUploadedFile:
    """A small gradient picture with a few shapes, different for each index."""
    top, bottom = PALETTES[index % len(PALETTES)]
    width, height = size
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    for i in range(5):
        x = (index * 37 + i * 89) % (width - 60)
        y = (index * 53 + i * 61) % (height - 60)
        draw.ellipse([x, y, x + 40 + i * 6, y + 40 + i * 6], outline=(255, 255, 255), width=3)
    draw.text((16, height - 28), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    im.save(buffer, fmt, quality=85)
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
    return SimpleUploadedFile(f"{label.lower().replace(' ', '-')}.{extension}", buffer.getvalue())


def _video(label: str) -> SimpleUploadedFile:
    """A one-second 320×240 H.264 clip of a moving gradient."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(12))
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for n in range(12):
            im = Image.new("RGB", (320, 240), (20 * n % 255, 80, 160))
            ImageDraw.Draw(im).ellipse([10 + n * 20, 90, 70 + n * 20, 150], fill=(255, 220, 120))
            frame = av.VideoFrame.from_image(im)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return SimpleUploadedFile(f"{label.lower().replace(' ', '-')}.mp4", buffer.getvalue())


def _clause(version, klass):
    return version.clauses.filter(klass=klass).order_by("position").first()


def _make(membership, title, files, *, clauses, caption="", platforms=("instagram",), submit=True,
          hours_ago=0) -> ShareRequest:
    user = membership.artist.user
    share_request = services.create_share_request(
        membership=membership, by=user, title=title, caption=caption, platforms=list(platforms),
        planned_post_date=timezone.localdate() + timedelta(days=7), clause_ids=[c.pk for c in clauses], files=files)
    for work in share_request.works.all():
        services.process_work(work.pk)
    if submit:
        share_request = services.submit_share_request(share_request, by=user)
        if hours_ago:
            # Backdated so the review report shows realistic times to decision.
            submitted = timezone.now() - timedelta(hours=hours_ago)
            ShareRequest.objects.filter(pk=share_request.pk).update(
                submitted_at=submitted, first_submitted_at=submitted,
                deadline_at=submitted + timedelta(days=membership.program.review_sla_days))
            share_request.refresh_from_db()
    return share_request


def _publish(share_request):
    for work in share_request.works.all():
        services.make_published_copy(work.pk)


def seed(context):
    program: Program = context["program"]
    reviewers = context["staff"]["reviewer"]
    manager = context["staff"]["manager"][0]
    reviewer, second_reviewer = reviewers[0], reviewers[-1]
    by_name = {m.artist.display_name: m for m in context["memberships"] if m.status == Membership.Status.ACTIVE}
    version = context["terms"][max(context["terms"])]
    confidential = _clause(version, Clause.Klass.CONFIDENTIAL)
    needs = _clause(version, Clause.Klass.NEEDS_APPROVAL)
    free = _clause(version, Clause.Klass.FREE_TO_SHARE)
    ana, ben, dev, gia, isla = (by_name[n] for n in ("Ana Lima", "Ben Okafor", "Dev Patel", "Gia Romano", "Isla Brown"))

    def exists(membership, title):
        return ShareRequest.objects.filter(membership=membership, title=title).exists()

    index = 0

    def images(count, label):
        nonlocal index
        out = []
        for n in range(count):
            out.append(_image(index, f"{label} {n + 1}", fmt=("JPEG", "PNG", "WEBP")[index % 3]))
            index += 1
        return out

    if not exists(ana, "Morning light series"):  # draft, free-to-share clauses only: told no review is needed
        _make(ana, "Morning light series", images(2, "Morning light"), clauses=[free], submit=False,
              caption="Behind the scenes of my week in the beta.")
    if not exists(ana, "Neon city loop"):  # in review, within its deadline
        _make(ana, "Neon city loop", images(1, "Neon city") + [_video("Neon city clip")], clauses=[needs],
              caption="A looping city scene made with Lumen.", platforms=("instagram", "tiktok"), hours_ago=5)
    if not exists(ben, "Portrait study"):  # passed its deadline: escalated to the manager
        share_request = _make(ben, "Portrait study", images(1, "Portrait"), clauses=[needs],
                              hours_ago=24 * (program.review_sla_days + 1))
        services.enforce_deadline(share_request.pk)
    if not exists(ben, "Forest spirits"):  # changes requested
        share_request = _make(ben, "Forest spirits", images(2, "Forest"), clauses=[needs], hours_ago=30)
        services.decide_share_request(share_request, by=reviewer, outcome="request_changes", clause_ids=[confidential.pk],
                                      reason="The second picture shows the unreleased style-preset panel; crop it out.")
    if not exists(dev, "Ocean textures"):  # approved, on the showcase
        share_request = _make(dev, "Ocean textures", images(2, "Ocean"), clauses=[needs], hours_ago=20)
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
        _publish(share_request)
        for work in share_request.works.all():
            services.set_showcase_consent(work, by=dev.artist.user, consent=True)
    if not exists(dev, "Launch teaser"):  # approved with an embargo: hidden from the showcase until then
        share_request = _make(dev, "Launch teaser", images(1, "Teaser"), clauses=[needs], hours_ago=50)
        services.decide_share_request(
            share_request, by=second_reviewer, outcome="approve_with_conditions", clause_ids=[needs.pk],
            reason="Fine to share once the public launch is announced.",
            embargo_until=timezone.localdate() + timedelta(days=14), required_caption="Made with Lumen Beta #lumen")
        _publish(share_request)
        for work in share_request.works.all():
            services.set_showcase_consent(work, by=dev.artist.user, consent=True)
    if not exists(gia, "Glass garden"):  # refused
        share_request = _make(gia, "Glass garden", images(1, "Glass garden"), clauses=[needs], hours_ago=40)
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", clause_ids=[confidential.pk],
                                      reason="The background shows the unreleased timeline editor.")
    if not exists(gia, "Timeline sketch"):  # refused, appeal pending with the other reviewer
        share_request = _make(gia, "Timeline sketch", images(1, "Timeline"), clauses=[needs], hours_ago=60)
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", clause_ids=[confidential.pk],
                                      reason="It shows an unannounced feature.")
        services.appeal_refusal(share_request, by=gia.artist.user,
                                message="The feature was shown in the public keynote last week.")
    if not exists(isla, "Paper cranes"):  # refused, then approved on appeal (final)
        share_request = _make(isla, "Paper cranes", images(1, "Paper cranes"), clauses=[needs], hours_ago=70)
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", clause_ids=[confidential.pk],
                                      reason="Looks like an unreleased preset.")
        appeal = services.appeal_refusal(share_request, by=isla.artist.user,
                                         message="This preset is public since version 1.2.")
        services.decide_appeal(appeal, by=second_reviewer if second_reviewer != reviewer else manager,
                               outcome="approve")
        _publish(share_request)
        for work in share_request.works.all():
            services.set_showcase_consent(work, by=isla.artist.user, consent=True)
    if not exists(isla, "Old idea"):  # withdrawn
        share_request = _make(isla, "Old idea", images(1, "Old idea"), clauses=[needs], hours_ago=3)
        services.withdraw_share_request(share_request, by=isla.artist.user)
    if not exists(ana, "City at dusk"):  # deemed approved by the deadline policy (no reviewer)
        share_request = _make(ana, "City at dusk", images(1, "Dusk"), clauses=[needs],
                              hours_ago=24 * (program.review_sla_days + 2))
        # The demo program escalates; this one request shows the other policy, so switch it for a moment.
        policy = program.deadline_policy
        Program.objects.filter(pk=program.pk).update(deadline_policy=Program.DeadlinePolicy.DEEMED_APPROVED)
        services.enforce_deadline(share_request.pk)
        Program.objects.filter(pk=program.pk).update(deadline_policy=policy)
        _publish(share_request)
    # Anything left processing (e.g. a run interrupted before) is finished now.
    for pk in Work.objects.filter(share_request__membership__program=program,
                                  processing_status=Work.FileStatus.PENDING).values_list("pk", flat=True):
        services.process_work(pk)
