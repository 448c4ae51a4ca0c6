from django.db import migrations

from atelier.db import append_only


class Migration(migrations.Migration):
    dependencies = [("testers", "0001_initial")]
    operations = [append_only("testers_termsacceptance")]
