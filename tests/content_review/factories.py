"""Factories and helpers for content-review tests: artists who accepted terms, uploads made of real files."""
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from content_review import services
from content_review.models import ShareRequest
from testers.models import Clause
from tests import factories
from tests.content_review import mediafiles


def member_with_terms(program, **kwargs):
    """An active artist of `program` who accepted its current terms (created if missing)."""
    version = program.terms_versions.filter(status="published").order_by("-number").first()
    if version is None:
        version = factories.TermsVersionFactory(program=program)
    membership = factories.MembershipFactory(program=program, **kwargs)
    factories.accept_terms(membership, version)
    return membership


def clause(program, klass):
    return Clause.objects.filter(terms_version__program=program, klass=klass).order_by("-terms_version__number").first()


MAKERS = {
    "jpg": mediafiles.make_jpeg, "png": mediafiles.make_png, "webp": mediafiles.make_webp,
    "gif": mediafiles.make_gif, "mp4": mediafiles.make_mp4, "webm": mediafiles.make_webm,
}


def upload(tmp_path, ext="jpg", name=None, **kwargs):
    """A SimpleUploadedFile holding a real file made by tests/content_review/mediafiles.py."""
    name = name or f"work-{ext}.{ext}"
    path = MAKERS[ext](Path(tmp_path) / f"src-{timezone.now().timestamp()}-{name}", **kwargs)
    return SimpleUploadedFile(name, path.read_bytes())


def file_upload(path, name=None):
    path = Path(path)
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def draft(membership, tmp_path, *, files=None, title="Sunset study", clause_ids=None, **kwargs):
    files = files if files is not None else [upload(tmp_path, "jpg")]
    if clause_ids is None:
        needs = clause(membership.program, Clause.Klass.NEEDS_APPROVAL)
        clause_ids = [needs.pk] if needs else []
    return services.create_share_request(
        membership=membership, by=membership.artist.user, title=title, caption=kwargs.pop("caption", "My caption"),
        platforms=kwargs.pop("platforms", ["instagram"]), clause_ids=clause_ids, files=files, **kwargs)


def submitted(membership, tmp_path, **kwargs) -> ShareRequest:
    share_request = draft(membership, tmp_path, **kwargs)
    return services.submit_share_request(share_request, by=membership.artist.user)


def overdue(share_request, days=1):
    ShareRequest.objects.filter(pk=share_request.pk).update(deadline_at=timezone.now() - timedelta(days=days))
    share_request.refresh_from_db()
    return share_request
