"""wikisocial groups create HANDLE --owner USERNAME [--kind …] [--name …] [--category …]
[--description …] [--language …] [--rules …]; wikisocial groups list

For operators moving chapters and user groups in by script: the group is made by the same
action as the "create a group" page, so every rule (free handle in any letter case, reserved
names, lengths) holds here too."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.accounts.management.commands._input import errors_of
from wikisocial.accounts.models import Account, ActorType
from wikisocial.communities import actions
from wikisocial.communities.models import Group, GroupCategory, GroupKind


class Command(BaseCommand):
    help = "Create and list groups."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a group on this server")
        create.add_argument("handle", help="the group's handle: /g/HANDLE, !HANDLE@domain")
        create.add_argument("--owner", required=True, help="username of its first owner")
        create.add_argument("--kind", choices=GroupKind.values, default=GroupKind.PUBLIC)
        create.add_argument("--name", help="display name (default: the handle)")
        create.add_argument("--category", choices=GroupCategory.values, default="other")
        create.add_argument("--description", default="", help="Markdown")
        create.add_argument("--rules", default="", help="Markdown")
        create.add_argument("--language", default="", help="main language code, e.g. de")
        listing = sub.add_parser("list", help="list the groups on this server")
        listing.add_argument(
            "--all", dest="include_hidden", action="store_true", help="include hidden groups"
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            self.create(**options)
        else:
            self.show(**options)

    def create(self, handle: str, owner: str, kind: str, name: str | None, **options) -> None:
        account = _owner(owner)
        draft = actions.GroupDraft(
            name=name if name is not None else handle,
            kind=kind,
            category=options["category"],
            description=options["description"],
            rules=options["rules"],
            language=options["language"],
        )
        try:
            group = actions.create_group(account, handle, draft, by_operator=True)
        except ValidationError as exc:
            raise CommandError(f"group not created: {errors_of(exc)}") from None
        made = f"Created {group.kind} group {group.handle} owned by {account.handle}"
        self.stdout.write(self.style.SUCCESS(made))

    def show(self, include_hidden: bool, **_) -> None:
        groups = Group.objects.alive().filter(account__domain="").select_related("account")
        if not include_hidden:
            groups = groups.exclude(kind=GroupKind.HIDDEN)
        for group in groups.order_by("account__username"):
            self.stdout.write(
                f"{group.handle}\t{group.kind}\t{group.members_count} members\t{group.name}"
            )


def _owner(username: str) -> Account:
    account = (
        Account.objects.local()
        .filter(username__iexact=username.lstrip("@"), deleted_at__isnull=True)
        .exclude(actor_type=ActorType.GROUP)
        .first()
    )
    if account is None:
        raise CommandError(f"there is no person @{username.lstrip('@')} on this server")
    return account
