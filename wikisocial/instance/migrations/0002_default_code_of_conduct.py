"""The first code of conduct and a few starting rules, so a new instance is usable at once.
Operators publish their own versions in the admin; earlier versions are kept."""

from django.db import migrations

CODE = """\
This server is a home for people who care about free knowledge. We want it to be a place where everyone, whatever their language, background or experience, can take part safely.

## What we ask of everyone

- **Be kind and assume good faith.** Disagree with ideas, not with people. Most of us are volunteers giving our free time.
- **Welcome newcomers.** Explain rather than dismiss; everyone was new once.
- **Respect privacy.** Do not share other people's personal information, messages or photos without their consent.
- **Use content warnings** for material others may not want to see unannounced.
- **Declare automation.** Accounts that post automatically must be marked as bots.

## What is not allowed

- Harassment, threats, stalking, doxxing, or encouraging others to do these.
- Hate speech and discrimination, including on grounds of ethnicity, nationality, religion, gender, gender identity, sexual orientation, disability, age or appearance.
- Sexual content involving minors, and sexual content shown to people who did not ask for it.
- Spam, advertising, impersonation, and coordinated manipulation.

## When something goes wrong

Report posts or accounts to the moderators. Moderators act in proportion: a reminder, a warning, a limit, a suspension. Their decisions are logged publicly, and every decision can be appealed. """

RULES = [
    ("Follow the code of conduct.", "It applies to everything on this server: posts, groups, "
     "wikis, events and direct messages."),
    ("No harassment, hate speech or threats.", ""),
    ("Mark bots and automated accounts as bots.", ""),
    ("No spam or advertising.", ""),
]


def create(apps, schema_editor):
    CodeOfConduct = apps.get_model("instance", "CodeOfConduct")
    Rule = apps.get_model("instance", "Rule")
    if not CodeOfConduct.objects.exists():
        CodeOfConduct.objects.create(version=1, text=CODE, summary_of_changes="First version")
    if not Rule.objects.exists():
        for position, (text, hint) in enumerate(RULES):
            Rule.objects.create(text=text, hint=hint, position=position)


class Migration(migrations.Migration):
    dependencies = [("instance", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
