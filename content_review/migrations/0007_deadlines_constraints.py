# The constraints of 0006's fields, in their own migration: PostgreSQL refuses to alter a table with pending
# trigger events from 0006's backfill in the same transaction.
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content_review', '0006_deadlines_and_showcase_removal'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='appeal',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'pending'), _negated=True), ('decide_by__isnull', False), _connector='OR'), name='appeal_pending_has_deadline'),
        ),
        migrations.AddConstraint(
            model_name='sharerequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'escalated'), _negated=True), ('escalation_deadline_at__isnull', False), _connector='OR'), name='share_request_escalated_has_deadline'),
        ),
        migrations.AddConstraint(
            model_name='work',
            constraint=models.CheckConstraint(condition=models.Q(('showcase_removed_at__isnull', True), models.Q(models.Q(('showcase_removed_reason', ''), _negated=True), ('showcase_consent', False)), _connector='OR'), name='work_showcase_removed_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='work',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('showcase_removed_reason'), 10000), name='work_showcase_removed_reason_max_10000'),
        ),
    ]
