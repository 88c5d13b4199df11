from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone


def grants_in_force(apps, schema_editor):
    """Users with break-glass grants in force when this is deployed keep their access-log labelling."""
    grant_model = apps.get_model("families", "BreakGlassGrant")
    user_model = apps.get_model("sibcase", "User")
    latest = (
        grant_model.objects.filter(expires_at__gt=timezone.now()).values("user_id").annotate(until=Max("expires_at"))
    )
    for row in latest:
        user_model.objects.filter(pk=row["user_id"]).update(break_glass_until=row["until"])


class Migration(migrations.Migration):
    dependencies = [
        ("sibcase", "0008_chain_head_function"),
        ("families", "0006_privacy_break_glass_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="break_glass_until",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="poikkeuksellinen pääsy voimassa asti"
            ),
        ),
        migrations.RunPython(grants_in_force, migrations.RunPython.noop),
    ]
