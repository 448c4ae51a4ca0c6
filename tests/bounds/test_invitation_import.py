"""The invitation CSV import refuses cheaply: NUL bytes and the row count are checked before any query, with line
numbers; a good file is imported in a bounded number of queries."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from atelier.models import AuditLogEntry
from testers.models import Invitation
from testers.services import invitations as services

pytestmark = [pytest.mark.django_db]


def _upload(client, program, data: bytes):
    return client.post(reverse("testers:staff_invitations_import", args=[program.slug]),
                       {"file": SimpleUploadedFile("artists.csv", data, content_type="text/csv")})


def test_a_nul_byte_in_a_name_is_refused_with_its_line_number(client, program, manager):
    client.force_login(manager)
    response = _upload(client, program, b"Ana,ana@example.test\nB\x00en,ben@example.test\n")
    assert response.status_code == 400
    html = response.content.decode()
    assert "NUL character" in html and '<td class="num">2</td>' in html
    assert not Invitation.objects.exists()


def test_fifty_thousand_rows_are_refused_before_any_query(program, manager, django_assert_max_num_queries):
    data = "".join(f"A{n},a{n}@e.st\n" for n in range(50_000)).encode()
    assert len(data) < 1_000_000
    with django_assert_max_num_queries(0), pytest.raises(services.CsvRejected) as rejected:
        services.parse_invitation_csv(program, data)
    assert rejected.value.errors == [(1001, "The file has more than 1000 rows; split it.")]


def test_a_thousand_rows_are_imported_in_a_bounded_number_of_queries(program, manager,
                                                                     django_assert_max_num_queries):
    # The e-mails are queued after commit (which a test's transaction never reaches): the queries counted are the
    # import's own.
    data = "".join(f"Artist {n},artist{n}@example.test,spring\n" for n in range(1000)).encode()
    with django_assert_max_num_queries(40):
        services.import_invitations(program=program, data=data, by=manager)
    assert Invitation.objects.filter(program=program).count() == 1000
    assert AuditLogEntry.objects.filter(action="testers.invitation.created").count() == 1000
    assert AuditLogEntry.objects.filter(action="testers.invitation.imported").count() == 1
