import pytest

from tests import factories


@pytest.fixture
def terms(program):
    return factories.TermsVersionFactory(program=program, number=1)


@pytest.fixture
def participant(artist_membership, terms):
    """An active artist who accepted the current terms."""
    factories.accept_terms(artist_membership, terms)
    return artist_membership


@pytest.fixture
def other_participant(program, terms):
    membership = factories.MembershipFactory(program=program)
    factories.accept_terms(membership, terms)
    return membership
