from django.db import migrations

from atelier.db import append_only


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [append_only("payments_ledgerentry")]
