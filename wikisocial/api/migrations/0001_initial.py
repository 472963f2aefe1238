import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("oauth2_provider", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppProfile",
            fields=[
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="api_profile",
                        serialize=False,
                        to="oauth2_provider.application",
                        verbose_name="application",
                    ),
                ),
                (
                    "scopes",
                    models.TextField(
                        help_text="Space-separated, as registered", verbose_name="scopes"
                    ),
                ),
                (
                    "website",
                    models.CharField(
                        blank=True, default="", max_length=2000, verbose_name="website"
                    ),
                ),
            ],
            options={
                "verbose_name": "application profile",
                "verbose_name_plural": "application profiles",
            },
        ),
    ]
