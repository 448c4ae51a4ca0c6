"""Factories for the foundation and testers models. Other apps keep theirs in tests/<app>/factories.py."""
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from atelier.accounts import ensure_totp
from atelier.models import User
from testers.models import (
    ArtistProfile, Clause, Feedback, Invitation, Membership, Milestone, Program, StaffRole, TermsAcceptance,
    TermsVersion, TimeLog,
)

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        if extracted:
            ensure_totp(obj)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    currency = "USD"
    watermark_text = "Made with the beta"


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory, totp=True)
    program = factory.SubFactory(ProgramFactory)
    role = StaffRole.Role.MANAGER


def staff_user(program, role, *, totp=True, **kwargs):
    user = UserFactory(totp=totp, **kwargs)
    StaffRole.objects.create(user=user, program=program, role=role)
    return user


class ArtistProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArtistProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    country = "FR"
    credit_line = factory.LazyAttribute(lambda o: f"© {o.display_name}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    program = factory.SubFactory(ProgramFactory)
    artist = factory.SubFactory(ArtistProfileFactory)
    status = Membership.Status.ACTIVE


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    program = factory.SubFactory(ProgramFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    name = factory.Faker("name")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class TermsVersionFactory(factory.django.DjangoModelFactory):
    """A published version with one clause of each class (pass status=draft for a draft)."""

    class Meta:
        model = TermsVersion
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = TermsVersion.Status.PUBLISHED
    effective_date = factory.LazyFunction(lambda: timezone.localdate())
    published_at = factory.LazyFunction(timezone.now)
    # Published terms carry their hash (a database rule); the real one is computed once the clauses exist.
    text_hash = factory.LazyAttribute(lambda o: "0" * 64 if o.status == TermsVersion.Status.PUBLISHED else "")

    @factory.post_generation
    def clauses(obj, create, extracted, **kwargs):
        specs = extracted if extracted is not None else [
            ("secret-features", Clause.Klass.CONFIDENTIAL, "Unreleased features"),
            ("outputs", Clause.Klass.NEEDS_APPROVAL, "Your outputs"),
            ("participation", Clause.Klass.FREE_TO_SHARE, "That you take part"),
        ]
        for position, (key, klass, title) in enumerate(specs, start=1):
            Clause.objects.create(terms_version=obj, position=position, key=key, klass=klass, title=title,
                                  text=f"{title}: plain words.", examples="An example.")
        if obj.status == TermsVersion.Status.PUBLISHED:
            obj.text_hash = obj.compute_hash()
            obj.save(update_fields=["text_hash"])


class MilestoneFactory(factory.django.DjangoModelFactory):
    """A milestone of a program, not announced yet."""

    class Meta:
        model = Milestone

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Public launch {n}")


def accept_terms(membership, version):
    return TermsAcceptance.objects.create(membership=membership, terms_version=version, text_hash=version.text_hash,
                                          ip_address="127.0.0.1")


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    membership = factory.SubFactory(MembershipFactory)
    kind = Feedback.Kind.GENERAL
    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
    # What the database requires of a declined or duplicate item.
    decline_reason = factory.LazyAttribute(lambda o: "Out of scope for this beta." if o.status == "declined" else "")
    duplicate_of = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == "duplicate"),
        yes_declaration=factory.SubFactory("tests.factories.FeedbackFactory",
                                           membership=factory.SelfAttribute("..membership"), status="new"),
        no_declaration=None,
    )
    status = Feedback.Status.NEW


class TimeLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeLog

    membership = factory.SubFactory(MembershipFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
    minutes = 90
    description = "Tried the video tool"
    status = TimeLog.Status.PENDING
    rejection_reason = factory.LazyAttribute(lambda o: "Please describe what you tested." if o.status == "rejected"
                                             else "")


class FeedbackEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "testers.FeedbackEvent"

    feedback = factory.SubFactory(FeedbackFactory)
    kind = "status"
    to_status = "new"


def png_bytes(width=64, height=48, color=(200, 40, 40), fmt="PNG"):
    """A small, valid image file's bytes (Pillow)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def image_upload(name="screenshot.png", **kwargs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


def approve(run, *, by):
    """Approve a payout run as `by`, typing the current code of their authenticator app (as the page asks)."""
    from atelier.accounts import current_totp_code  # noqa: kept with the one helper that needs it
    from payments.services.payouts import approve_payout_run  # noqa: payments is imported lazily by these factories

    return approve_payout_run(run, by=by, totp_code=current_totp_code(by))
