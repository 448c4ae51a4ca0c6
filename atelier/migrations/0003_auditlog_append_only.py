from django.db import migrations

from atelier.db import append_only


class Migration(migrations.Migration):
    dependencies = [("atelier", "0002_initial")]
    operations = [append_only("atelier_auditlogentry")]
