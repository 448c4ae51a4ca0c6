"""Revoking a token, in every status of its table and as every role: `check()` and the run agree."""
from django.utils import timezone

from api.models import ApiToken
from tests import factories
from tests.action_walk import ActionCase, walk, walk_roles


def token_in(status):
    membership = factories.MembershipFactory()
    return ApiToken.objects.create(
        membership=membership, name="CI", prefix=f"atl_walk{status[:4]}", secret_hash=f"{status:0>64}",
        scopes=["feedback:read"], status=status, created_by=membership.artist.user,
        revoked_at=timezone.now() if status == ApiToken.Status.REVOKED else None)


CASES = {
    "api.token.revoked": ActionCase(make=token_in, actor=lambda token: token.membership.artist.user),
}


def test_every_api_action_with_a_transition_is_walked():
    from atelier.actions import REGISTRY  # read once every app is loaded

    moving = {name for name, action in REGISTRY.items() if name.startswith("api.") and action.transition}
    assert moving == set(CASES)


test_check_and_run_agree = walk(CASES)
test_check_and_run_agree_for_every_role = walk_roles(CASES)
