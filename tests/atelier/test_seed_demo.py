import pytest
from django.core.management import call_command

from atelier.models import User
from testers.models import Membership, Program, StaffRole

pytestmark = pytest.mark.django_db


def test_seed_demo_runs_twice_and_prints_sign_in_details(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "manager@atelier.test" in out and "atelier-demo-2026" in out
    program = Program.objects.get(slug="lumen-beta")
    assert set(StaffRole.objects.filter(program=program).values_list("role", flat=True)) == {"manager", "reviewer", "finance"}
    statuses = set(Membership.objects.filter(program=program).values_list("status", flat=True))
    assert {"active", "paused", "removed"} <= statuses
    assert Membership.objects.filter(program=program).count() >= 10
    assert User.objects.filter(is_superuser=True).count() == 1
