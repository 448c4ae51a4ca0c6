from django.db import migrations

from atelier.db import append_only


class Migration(migrations.Migration):
    """Review decisions refuse UPDATE and DELETE on SQLite too (0002 installed PostgreSQL's trigger)."""

    dependencies = [("content_review", "0003_actions_constraints")]
    operations = [append_only("content_review_reviewdecision", vendors=("sqlite",))]
