"""Every testers page: one h1, headings in order, every input labelled, no inline style or script."""
import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def check_html(html, url):
    main = html.split('<main', 1)[1]
    levels = [int(h) for h in re.findall(r"<h([1-6])", main)]
    assert levels.count(1) == 1 and levels[0] == 1, url
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), (url, levels)
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", main):
        if 'type="hidden"' in tag or 'type="submit"' in tag:
            continue
        input_id = re.search(r'id="([^"]+)"', tag)
        assert input_id and f'for="{input_id.group(1)}"' in main, (url, tag)
    assert " style=" not in main and "<script" not in main, url


def test_artist_pages_are_well_formed(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    log = factories.TimeLogFactory(membership=participant)
    client.force_login(participant.artist.user)
    for url in [reverse("home"), reverse("testers:feedback_list"), reverse("testers:feedback_create"),
                reverse("testers:feedback_detail", args=[feedback.pk]), reverse("testers:timelog_list"),
                reverse("testers:timelog_detail", args=[log.pk]), reverse("testers:what_can_i_share"),
                reverse("testers:terms", args=[participant.program.slug]), reverse("testers:profile"),
                reverse("testers:profile_detail", args=[participant.artist.pk])]:
        response = client.get(url)
        assert response.status_code == 200, url
        check_html(response.content.decode(), url)


def test_staff_pages_are_well_formed(client, participant, manager, terms):
    from testers.services.terms import draft_new_version

    program = participant.program
    feedback = factories.FeedbackFactory(membership=participant)
    factories.TimeLogFactory(membership=participant)
    factories.InvitationFactory(program=program)
    draft = draft_new_version(program=program, by=manager)
    client.force_login(manager)
    slug = program.slug
    for url in [reverse("testers:staff_program", args=[slug]), reverse("testers:staff_artists", args=[slug]),
                reverse("testers:staff_artist", args=[slug, participant.pk]),
                reverse("testers:staff_invitations", args=[slug]),
                reverse("testers:staff_invitations_import", args=[slug]),
                reverse("testers:staff_terms", args=[slug]),
                reverse("testers:staff_terms_version", args=[slug, terms.number]),
                reverse("testers:staff_terms_version", args=[slug, draft.number]),
                reverse("testers:staff_clause_add", args=[slug, draft.number]),
                reverse("testers:staff_clause_edit", args=[slug, draft.number, draft.clauses.first().pk]),
                reverse("testers:staff_feedback", args=[slug]),
                reverse("testers:staff_feedback_detail", args=[slug, feedback.pk]),
                reverse("testers:staff_timelogs", args=[slug])]:
        response = client.get(url)
        assert response.status_code == 200, url
        check_html(response.content.decode(), url)


def test_empty_lists_show_an_empty_state(client, participant, manager):
    client.force_login(participant.artist.user)
    assert "You have not sent feedback yet." in client.get(reverse("testers:feedback_list")).content.decode()
    assert "No testing time logged yet." in client.get(reverse("testers:timelog_list")).content.decode()
    client.force_login(manager)
    slug = participant.program.slug
    assert "No invitations here yet." in client.get(reverse("testers:staff_invitations", args=[slug])).content.decode()
    assert "No feedback matches." in client.get(reverse("testers:staff_feedback", args=[slug])).content.decode()
    assert "No time logs match." in client.get(reverse("testers:staff_timelogs", args=[slug])).content.decode()
