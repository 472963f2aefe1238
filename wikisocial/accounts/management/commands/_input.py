"""Shared command-line helpers for account commands."""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email

from wikisocial.accounts.models import User


def read_password(from_stdin: bool, username: str, email: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
    else:
        raise CommandError("give the password on standard input with --password-stdin")
    try:
        password_validation.validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        raise CommandError("password refused: " + " ".join(exc.messages)) from exc
    return password


def check_email(email: str) -> str:
    try:
        validate_email(email)
    except ValidationError:
        raise CommandError(f"{email!r} is not a valid e-mail address") from None
    return email


def errors_of(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)
