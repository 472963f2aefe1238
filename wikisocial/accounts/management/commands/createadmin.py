"""wikisocial createadmin [--username NAME] [--email E] [--password-stdin]"""

from __future__ import annotations

import re
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wikisocial.accounts import actions
from wikisocial.accounts.management.commands._input import check_email, errors_of, read_password
from wikisocial.accounts.validators import USERNAME_RE


class Command(BaseCommand):
    help = "Create an administrator (a superuser with a profile)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true")

    def handle(self, *args, username: str, email: str, password_stdin: bool, **_) -> None:
        interactive = sys.stdin.isatty() and not password_stdin
        if not username and interactive:
            username = input("Username [admin]: ").strip() or "admin"
        if not email and interactive:
            email = input("E-mail address: ").strip()
        if not username or not email:
            raise CommandError("give --username and --email (or run it in a terminal)")
        # Reserved names such as "admin" are allowed here: the operator is the authority.
        if not re.fullmatch(USERNAME_RE, username):
            raise CommandError("username refused: use 1 to 30 of A–Z, a–z, 0–9 and _")
        check_email(email)
        if actions.username_taken(username):
            raise CommandError(f"the username {username!r} is taken")
        password = read_password(password_stdin, username, email)
        try:
            user = actions.register(
                username=username,
                email=email,
                password=password,
                code_of_conduct=None,
                by_operator=True,
            )
        except ValidationError as exc:
            raise CommandError(errors_of(exc)) from None
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(self.style.SUCCESS(f"Created administrator @{username}"))
