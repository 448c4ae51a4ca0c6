"""NUL bytes in URLs, query strings and the sign-in forms: a 400 or the form's message, never a 500 (an
invitation link with %00 gave 500: PostgreSQL refuses a NUL byte in a query)."""
import pytest
pytestmark = [pytest.mark.django_db]

@pytest.mark.parametrize("url", ["/invitations/%00/", "/invitations/a%00b/", "/accounts/login/?next=%00",
    "/accounts/password/reset/key/%00-set-password/", "/accounts/confirm-email/%00/", "/showcase/%00/",
    "/staff/%00/", "/earnings/%00/", "/terms/%00/", "/?q=%00", "/feedback/?page=%00", "/showcase/program-0/?page=%00"])
def test_a_nul_byte_in_a_url_is_refused(client, program, url):
    assert client.get(url).status_code < 500

@pytest.mark.parametrize("data", [{"login": "a\x00@b.c", "password": "x\x00"}, {"login": "x"*100000, "password": "y"}])
def test_hostile_sign_in_values_never_give_500(client, data):
    assert client.post("/accounts/login/", data).status_code < 500

def test_a_nul_byte_in_sign_up_never_gives_500(client):
    assert client.post("/accounts/signup/", {"email": "a\x00@b.c", "password1": "x\x00", "password2": "x"}).status_code < 500

def test_a_nul_byte_in_password_reset_never_gives_500(client):
    assert client.post("/accounts/password/reset/", {"email": "a\x00@b.c"}).status_code < 500
