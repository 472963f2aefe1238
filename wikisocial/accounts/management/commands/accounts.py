"""wikisocial accounts create USERNAME --email E [--bot] [--password-stdin]"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.accounts import actions
from wikisocial.accounts.management.commands._input import check_email, errors_of, read_password
from wikisocial.accounts.models import Account
from wikisocial.accounts.validators import validate_username


class Command(BaseCommand):
    help = "Create and list accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an account (confirmed and approved)")
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument("--bot", action="store_true", help="a bot (Service) account")
        create.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input; without it the account has no "
            "password, whether or not there is a terminal (bots use tokens)",
        )
        sub.add_parser("list", help="list local accounts")

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            self.create(**options)
        else:
            for account in Account.objects.local().active().order_by("username"):
                kind = "bot" if account.bot else "person"
                self.stdout.write(f"{account.handle}\t{kind}\t{account.created_at:%Y-%m-%d}")

    def create(self, username: str, email: str, bot: bool, password_stdin: bool, **_) -> None:
        try:
            validate_username(username)
        except ValidationError as exc:
            raise CommandError(f"username refused: {' '.join(exc.messages)}") from None
        check_email(email)
        if actions.username_taken(username):
            raise CommandError(f"the username {username!r} is taken")
        password = read_password(True, username, email) if password_stdin else None
        try:
            actions.register(
                username=username,
                email=email,
                password=password,
                code_of_conduct=None,
                bot=bot,
                by_operator=True,
            )
        except ValidationError as exc:
            raise CommandError(errors_of(exc)) from None
        kind = "bot account" if bot else "account"
        note = "" if password else " (no password: log in with a token)"
        self.stdout.write(self.style.SUCCESS(f"Created {kind} @{username}{note}"))
