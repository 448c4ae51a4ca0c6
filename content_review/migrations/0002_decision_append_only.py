from django.db import migrations

from atelier.db import append_only


class Migration(migrations.Migration):
    dependencies = [("content_review", "0001_initial")]
    operations = [append_only("content_review_reviewdecision")]
