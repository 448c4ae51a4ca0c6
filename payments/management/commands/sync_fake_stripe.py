"""`python manage.py sync_fake_stripe`: tell the fake Stripe server (which keeps state in memory) about the
demo's connected accounts, so the demo can pay them, and about the transfers of the demo's past run, so that
reconciling the demo finds no difference. Used by `make run` after it starts the fake."""
import json
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from payments.demo_payouts import fake_accounts_payload, fake_transfers_payload, stripe_base


class Command(BaseCommand):
    help = "Create the demo connected accounts (acct_demo_*) at the fake Stripe server."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for the fake to answer")

    def handle(self, *args, wait, **options):
        base = stripe_base()
        deadline = time.monotonic() + wait
        while True:
            try:
                urllib.request.urlopen(f"{base}/_fake/state", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise CommandError(f"The fake Stripe server at {base} does not answer.")
                time.sleep(0.3)
        accounts, transfers = fake_accounts_payload(), fake_transfers_payload()
        for path, items in (("accounts", accounts), ("transfers", transfers)):
            for item in items:
                request = urllib.request.Request(f"{base}/_fake/{path}", data=json.dumps(item).encode(),
                                                 headers={"Content-Type": "application/json"}, method="POST")
                urllib.request.urlopen(request, timeout=5).close()
        self.stdout.write(f"{len(accounts)} demo account(s) and {len(transfers)} transfer(s) known to the fake "
                          f"Stripe server at {base}.")
