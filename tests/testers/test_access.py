"""Every testers URL for every role, and another artist's objects by guessed URL: always a 404."""
import pytest
from django.urls import reverse

from testers.models import Feedback, TimeLog
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(program, other_program, participant, other_participant, terms):
    feedback = factories.FeedbackFactory(membership=participant)
    attachment = feedback.attachments.create(image=factories.image_upload(), original_name="s.png")
    log = factories.TimeLogFactory(membership=participant)
    invitation = factories.InvitationFactory(program=program)
    roles = {
        "anonymous": None,
        "owner": participant.artist.user,
        "other_artist": other_participant.artist.user,
        "manager": factories.staff_user(program, "manager"),
        "reviewer": factories.staff_user(program, "reviewer"),
        "finance": factories.staff_user(program, "finance"),
        "other_manager": factories.staff_user(other_program, "manager"),
    }
    return {"feedback": feedback, "attachment": attachment, "log": log, "invitation": invitation, "roles": roles,
            "program": program, "membership": participant}


def urls(w):
    slug, f, a, log, m = w["program"].slug, w["feedback"], w["attachment"], w["log"], w["membership"]
    return {
        "feedback": reverse("testers:feedback_detail", args=[f.pk]),
        "feedback_image": reverse("testers:feedback_image", args=[f.pk, a.pk]),
        "timelog": reverse("testers:timelog_detail", args=[log.pk]),
        "profile": reverse("testers:profile_detail", args=[m.artist.pk]),
        "staff_program": reverse("testers:staff_program", args=[slug]),
        "staff_artists": reverse("testers:staff_artists", args=[slug]),
        "staff_artist": reverse("testers:staff_artist", args=[slug, m.pk]),
        "staff_invitations": reverse("testers:staff_invitations", args=[slug]),
        "staff_terms": reverse("testers:staff_terms", args=[slug]),
        "staff_feedback": reverse("testers:staff_feedback", args=[slug]),
        "staff_feedback_detail": reverse("testers:staff_feedback_detail", args=[slug, f.pk]),
        "staff_timelogs": reverse("testers:staff_timelogs", args=[slug]),
    }


OK, NO = 200, 404
# url -> expected status per role (anonymous is always sent to sign in)
EXPECTED = {
    "feedback": {"owner": OK, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK, "other_manager": NO},
    "feedback_image": {"owner": OK, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK,
                       "other_manager": NO},
    "timelog": {"owner": OK, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK, "other_manager": NO},
    "profile": {"owner": OK, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK, "other_manager": NO},
    "staff_program": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": OK, "finance": OK,
                      "other_manager": NO},
    "staff_artists": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK,
                      "other_manager": NO},
    "staff_artist": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK,
                     "other_manager": NO},
    "staff_invitations": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": NO,
                          "other_manager": NO},
    "staff_terms": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": OK, "finance": OK,
                    "other_manager": NO},
    "staff_feedback": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK,
                       "other_manager": NO},
    "staff_feedback_detail": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK,
                              "other_manager": NO},
    "staff_timelogs": {"owner": NO, "other_artist": NO, "manager": OK, "reviewer": NO, "finance": OK,
                       "other_manager": NO},
}


def test_every_url_for_every_role(client, world):
    table = urls(world)
    failures = []
    for name, expected in EXPECTED.items():
        for role, user in world["roles"].items():
            client.logout()
            if user is not None:
                client.force_login(user)
            status = client.get(table[name]).status_code
            want = 302 if role == "anonymous" else expected[role]
            if status != want:
                failures.append(f"{name} as {role}: {status}, expected {want}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ["feedback_list", "feedback_create", "timelog_list", "what_can_i_share",
                                  "profile"])
def test_artist_pages_need_sign_in(client, name):
    response = client.get(reverse(f"testers:{name}"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_another_artists_feedback_cannot_be_changed_by_guessing_its_url(client, world, other_participant):
    client.force_login(other_participant.artist.user)
    feedback = world["feedback"]
    response = client.post(reverse("testers:feedback_detail", args=[feedback.pk]), {"message": "mine now"})
    assert response.status_code == 404
    assert not feedback.events.filter(kind="reply").exists()


def test_another_artists_time_cannot_be_withdrawn_by_guessing_its_url(client, world, other_participant):
    client.force_login(other_participant.artist.user)
    response = client.post(reverse("testers:timelog_withdraw", args=[world["log"].pk]))
    assert response.status_code == 404
    assert TimeLog.objects.filter(pk=world["log"].pk).exists()


def test_another_artists_lists_do_not_show_someone_elses_items(client, world, other_participant):
    client.force_login(other_participant.artist.user)
    assert world["feedback"].title not in client.get(reverse("testers:feedback_list")).content.decode()
    assert "Tried the video tool" not in client.get(reverse("testers:timelog_list")).content.decode()


def test_profile_edit_only_ever_edits_your_own_profile(client, world, other_participant):
    owner_profile = world["membership"].artist
    client.force_login(other_participant.artist.user)
    client.post(reverse("testers:profile"), {"display_name": "Hijacked", "country": "FR"})
    owner_profile.refresh_from_db()
    assert owner_profile.display_name != "Hijacked"


def test_artist_of_another_program_cannot_read_these_terms(client, world, other_program):
    outsider = factories.MembershipFactory(program=other_program).artist.user
    client.force_login(outsider)
    assert client.get(reverse("testers:terms", args=[world["program"].slug])).status_code == 404


def test_manager_of_another_program_cannot_triage_by_guessing(client, world, other_program):
    client.force_login(world["roles"]["other_manager"])
    for slug in (world["program"].slug, other_program.slug):
        url = reverse("testers:staff_feedback_detail", args=[slug, world["feedback"].pk])
        assert client.post(url, {"action": "triage", "to_status": "accepted"}).status_code == 404
    assert Feedback.objects.get(pk=world["feedback"].pk).status == "new"


def test_feedback_images_have_no_public_media_url(client, world, settings):
    attachment = world["attachment"]
    client.force_login(world["roles"]["owner"])  # even the owner goes through the view, never MEDIA_URL
    assert client.get(settings.MEDIA_URL + attachment.image.name).status_code == 404
    assert client.get(reverse("testers:feedback_image", args=[world["feedback"].pk, attachment.pk])).status_code == 200
