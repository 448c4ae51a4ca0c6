import pytest

from api.actions import CreateApiToken
from api.models import ApiToken
from tests import factories
from tests.testers.conftest import other_participant, participant, terms  # noqa: F401  (the same artists)

ALL_SCOPES = list(ApiToken.Scope.values)


def make_token(membership, scopes=ALL_SCOPES, expires_in="90", name="My plug-in"):
    """A token created as its artist creates one (the action), with its secret."""
    return CreateApiToken(membership.artist.user, membership=membership, name=name, scopes=list(scopes),
                          expires_in=expires_in).run()


def bearer(token_or_secret) -> dict:
    secret = getattr(token_or_secret, "secret", token_or_secret)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def token(participant):  # noqa: F811
    return make_token(participant)


@pytest.fixture
def api(client):
    """The test client, never signed in: the API sees only the token."""
    return client


@pytest.fixture
def screenshot():
    return factories.image_upload("screen.png", width=800, height=600)
