"""wikisocial tokens create USERNAME --scopes "read write follow" """

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.accounts.models import User
from wikisocial.api.tokens import create_personal_token, parse_scopes


class Command(BaseCommand):
    help = "Create OAuth access tokens for accounts (bots, scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it")
        create.add_argument("username")
        create.add_argument("--scopes", default="read")
        create.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username: str, scopes: str, name: str, **_) -> None:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"no account named {username!r}")
        try:
            token = create_personal_token(user, parse_scopes(scopes), name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(token)
