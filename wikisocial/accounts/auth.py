from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from wikisocial.accounts.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the e-mail address, in any letter case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> User | None:
        if not username or password is None:
            return None
        field = "email__iexact" if "@" in username else "username__iexact"
        user = User.objects.filter(**{field: username.strip()}).first()
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle for names
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
