"""The audit log is append-only: in Python, in the admin and (on PostgreSQL) in the database."""
import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from atelier import audit
from atelier.models import AuditLogEntry
from atelier.requestcontext import reset_ip, set_ip

pytestmark = pytest.mark.django_db

NAME, LABEL = "atelier.test_entry.recorded", "recorded a test entry"


@pytest.fixture(autouse=True)
def test_audit_name():
    """A name of the tests' own, so these tests do not depend on which actions the apps register."""
    from atelier.actions import AUDIT_NAMES

    AUDIT_NAMES[NAME] = LABEL
    yield NAME
    AUDIT_NAMES.pop(NAME, None)


def test_log_records_who_what_which_program_where_and_values(manager, artist_membership):
    token = set_ip("203.0.113.9")
    try:
        entry = audit.log(manager, NAME, artist_membership,
                          before={"status": "active"}, after={"status": "paused"})
    finally:
        reset_ip(token)
    entry.refresh_from_db()
    assert entry.actor == manager and entry.actor_label == manager.email
    assert entry.program == artist_membership.program
    assert entry.target_type == "testers.Membership" and entry.target_id == str(artist_membership.pk)
    assert entry.ip_address == "203.0.113.9"
    assert entry.data == {"before": {"status": "active"}, "after": {"status": "paused"}}


def test_secrets_are_masked(manager):
    entry = audit.log(manager, NAME, None, stripe_secret="sk_live_x", note="ok")
    assert entry.data == {"stripe_secret": "***", "note": "ok"}


def test_tasks_log_as_system(program):
    entry = audit.log(None, NAME, program)
    assert entry.actor is None and entry.actor_label == "system"


def test_entries_cannot_be_changed_or_deleted_through_the_app(manager, program):
    entry = audit.log(manager, NAME, program)
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLogEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(PermissionError):
        AuditLogEntry.objects.all().delete()
    assert AuditLogEntry.objects.get(pk=entry.pk).action == NAME


def test_database_refuses_update_and_delete(manager, program):
    entry = audit.log(manager, NAME, program)
    for sql in ["UPDATE atelier_auditlogentry SET action = 'forged' WHERE id = %s",
                "DELETE FROM atelier_auditlogentry WHERE id = %s"]:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
    assert AuditLogEntry.objects.get(pk=entry.pk).action == NAME


def test_admin_shows_the_log_read_only(client, site_admin, manager, program):
    entry = audit.log(manager, NAME, program)
    client.force_login(site_admin)
    listing = client.get(reverse("admin:atelier_auditlogentry_changelist"))
    assert listing.status_code == 200 and LABEL in listing.content.decode()
    detail = client.get(reverse("admin:atelier_auditlogentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.post(reverse("admin:atelier_auditlogentry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:atelier_auditlogentry_add")).status_code == 403
    assert AuditLogEntry.objects.filter(pk=entry.pk).exists()
