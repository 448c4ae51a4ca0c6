import pytest

from tests import factories
from tests.content_review.factories import member_with_terms


@pytest.fixture
def terms(program):
    return factories.TermsVersionFactory(program=program)


@pytest.fixture
def member(program, terms):
    """An active artist who accepted the program's current terms."""
    return member_with_terms(program)


@pytest.fixture
def other_member(program, terms):
    return member_with_terms(program)
