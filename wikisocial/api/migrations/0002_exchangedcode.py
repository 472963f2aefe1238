import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        # token_family and the checksums are there from 0011 and 0012 on.
        ("oauth2_provider", "0012_add_token_checksum"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExchangedCode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code_checksum",
                    models.CharField(max_length=64, unique=True, verbose_name="code checksum"),
                ),
                (
                    "token_family",
                    models.UUIDField(blank=True, null=True, verbose_name="token family"),
                ),
                (
                    "created",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created"),
                ),
                (
                    "access_token",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="oauth2_provider.accesstoken",
                        verbose_name="access token",
                    ),
                ),
                (
                    "application",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="oauth2_provider.application",
                        verbose_name="application",
                    ),
                ),
            ],
            options={
                "verbose_name": "exchanged authorization code",
                "verbose_name_plural": "exchanged authorization codes",
            },
        ),
    ]
