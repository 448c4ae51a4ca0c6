"""python manage.py seed_demo — a demo program with staff and artists in varied states. Safe to run twice."""
from django.core.management.base import BaseCommand
from django.db import transaction

from content_review import demo as review_demo
from payments import demo as payments_demo
from testers import demo as testers_demo


class Command(BaseCommand):
    help = "Create demo data (one program, one user per staff role, a dozen artists) and print sign-in details."

    def handle(self, *args, **options):
        with transaction.atomic():
            context = testers_demo.seed()
            # in dependency order: payments prices what testers and review made
            review_demo.seed(context)
            payments_demo.seed(context)

        self.stdout.write(self.style.SUCCESS(f"Demo program: {context['program'].name}"))
        self.stdout.write(f"Every demo account's password: {context['password']}")
        self.stdout.write("Staff sign in with a TOTP code: add the secret to an authenticator app, or run")
        self.stdout.write("  python manage.py demo_totp <e-mail>   to print the current code.\n")
        width = max(len(email) for email, _, _ in context["credentials"])
        for email, role, secret in context["credentials"]:
            line = f"  {email.ljust(width)}  {role}"
            if secret:
                line += f"  (TOTP secret {secret})"
            self.stdout.write(line)
