"""`python manage.py reconcile <program slug> <start> <end>`: compare payouts with Stripe's transfers."""
import datetime

from django.core.management.base import BaseCommand, CommandError

from payments import stripe_gateway as gateway
from payments.services.reconciliation import reconcile
from testers.models import Program


class Command(BaseCommand):
    help = "Reconcile a program's payouts in a period with Stripe's transfers and record every difference."

    def add_arguments(self, parser):
        parser.add_argument("program", help="program slug")
        parser.add_argument("start", type=datetime.date.fromisoformat, help="period start, YYYY-MM-DD")
        parser.add_argument("end", type=datetime.date.fromisoformat, help="period end, YYYY-MM-DD")

    def handle(self, *args, program, start, end, **options):
        try:
            program_obj = Program.objects.get(slug=program)
        except Program.DoesNotExist:
            raise CommandError(f"No program {program!r}.")
        if start > end:
            raise CommandError("start must be on or before end.")
        try:
            report = reconcile(program_obj, start, end)
        except gateway.StripeGatewayError as error:
            raise CommandError(f"Stripe could not be reached: {error.message}")
        differences = list(report.differences.all())
        self.stdout.write(f"Report {report.pk}: {report.checked_payouts} payouts, {report.checked_transfers} "
                          f"transfers, {len(differences)} difference(s).")
        for difference in differences:
            self.stdout.write(f"- {difference.get_kind_display()}: payout {difference.payout_id or '—'}, "
                              f"transfer {difference.stripe_transfer_id or '—'}, "
                              f"Atelier {difference.atelier_value or '—'}"
                              f", Stripe {difference.stripe_value or '—'}")
