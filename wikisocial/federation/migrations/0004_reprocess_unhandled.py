"""Activities received before their handlers existed were kept as "not handled: <type>": they
become unprocessed again, and the worker's sweep hands them to the handlers."""

from django.db import migrations


def reopen(apps, schema_editor):
    InboxItem = apps.get_model("federation", "InboxItem")
    InboxItem.objects.filter(outcome__startswith="not handled").update(
        processed_at=None, outcome=""
    )


class Migration(migrations.Migration):
    dependencies = [("federation", "0003_delivery_domainhealth")]

    operations = [migrations.RunPython(reopen, migrations.RunPython.noop)]
