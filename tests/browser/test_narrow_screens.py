"""On a phone (390 px wide) the payout table keeps each payout's Amount and Status in view, without scrolling."""
import datetime

import pytest
from playwright.sync_api import expect

from payments.services import payouts as services
from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tests.payments.factories import payable_artist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_payout_table_at_390_px_shows_amount_and_status(page):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    finance = factories.staff_user(program, "finance")
    member = payable_artist(program, 123456)
    member.artist.display_name = "Maximiliana Konstantinopoulou-Wetherington"
    member.artist.legal_name = "Maximiliana Alexandra Konstantinopoulou-Wetherington"
    member.artist.save()
    day = datetime.date.today() - datetime.timedelta(days=1)
    run = services.create_payout_run(program=program, period_start=day, period_end=day, by=finance)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, finance.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(finance))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Successfully signed in")).to_be_visible()
    page.goto(f"/staff/{program.slug}/payouts/{run.pk}/")
    table = page.get_by_role("table", name="Payouts of this run")
    for name in ("Amount", "Status"):
        box = table.get_by_role("columnheader", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{name} is outside the screen: {box}"
    amount = table.locator("tbody").get_by_text("$1,234.56").bounding_box()
    assert amount["x"] + amount["width"] <= 390
