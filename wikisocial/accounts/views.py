"""Sign-up, log-in, e-mail confirmation, password reset and account settings.
Each view parses the request, checks access, calls an action, and renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wikisocial.accounts import actions
from wikisocial.accounts.forms import (
    AcceptCodeForm,
    DeleteAccountForm,
    DisplayForm,
    EmailChangeForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    QueuedPasswordResetForm,
    ResetPasswordForm,
    SignupForm,
    check_new_username,
)
from wikisocial.accounts.limits import too_many
from wikisocial.accounts.models import User
from wikisocial.instance.models import CodeOfConduct, InstanceSettings, RegistrationMode


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    instance = InstanceSettings.current()
    if instance.registration_mode == RegistrationMode.CLOSED:
        return render(request, "accounts/signup_closed.html", status=403)
    if request.htmx and "username" in request.GET:
        return username_status(request)
    needs_reason = instance.registration_mode == RegistrationMode.APPROVAL
    form = SignupForm(
        request.POST if request.method == "POST" else None,
        needs_reason=needs_reason,
        reason_help=instance.approval_prompt,
    )
    limited = request.method == "POST" and too_many(request, "signup", form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.sign_up(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                code_of_conduct=form.code,
                reason=data.get("reason", ""),
                locale=request.LANGUAGE_CODE,
            )
        except actions.RegistrationClosed:
            return render(request, "accounts/signup_closed.html", status=403)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # The same page whether an account was made or the address's owner was told.
            request.session["signup_email"] = user.email if user else data["email"]
            return redirect("accounts:signup-done")
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "code": form.code, "needs_reason": needs_reason},
        status=429 if limited else 400 if form.errors else 200,
    )


def username_status(request: HttpRequest) -> HttpResponse:
    """The sign-up page's fragment saying whether a username is free (htmx, while typing)."""
    username = request.GET["username"].strip()
    try:
        check_new_username(username)
    except ValidationError as exc:
        status = {"ok": False, "message": exc.messages[0]}
    else:
        status = {"ok": True, "message": _("%(name)s is available.") % {"name": username}}
    status["username"] = username
    return render(request, "accounts/signup.html#username-status", {"status": status})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/signup_done.html", {"email": request.session.get("signup_email")}
    )


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if too_many(request, "login", form, form.data.get("username", "")):
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if user.locale:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.locale, samesite="Lax")
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        refused = getattr(context["form"], "refused_user", None)
        context["offer_resend"] = refused is not None and not refused.email_confirmed
        return context


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = actions.confirm_email(token)
    except ValidationError as exc:
        return render(request, "accounts/confirm_failed.html", {"errors": exc.messages}, status=400)
    refusal = actions.login_refusal(user)
    return render(request, "accounts/confirmed.html", {"confirmed_user": user, "refusal": refusal})


@require_http_methods(["GET", "POST"])
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST if request.method == "POST" else None)
    limited = request.method == "POST" and too_many(
        request, "resend-confirmation", form, form.data.get("email", "")
    )
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        user = User.objects.filter(
            email__iexact=email, email_confirmed_at__isnull=True, is_active=True
        ).first()
        if user is not None:
            actions.send_confirmation(user, user.email)
        # Same answer whether or not the address is known: no way to probe for accounts.
        messages.info(request, _("If that address awaits confirmation, we sent a new link."))
        return redirect("accounts:login")
    status = 429 if limited else 400 if form.errors else 200
    return render(request, "accounts/resend.html", {"form": form}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if too_many(request, "password-reset", form, form.data.get("email", "")):
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form: QueuedPasswordResetForm) -> HttpResponse:
        form.save(
            domain_override=settings.DOMAIN,
            use_https=settings.SCHEME == "https",
            request=self.request,
        )
        return redirect(self.get_success_url())

    def form_invalid(self, form: QueuedPasswordResetForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ResetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


# --- settings ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, account=account)
        if form.is_valid():
            try:
                actions.update_profile(account, form.changes())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect("accounts:edit-profile")
    else:
        form = ProfileForm(account=account)
    return render(
        request,
        "accounts/settings_profile.html",
        {"form": form, "account": account, "section": "profile"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    email_form = EmailChangeForm(user, prefix="email")
    password_form = PasswordChangeForm(user, prefix="password")
    status = 200
    if request.method == "POST" and "email-email" in request.POST:
        email_form = EmailChangeForm(user, request.POST, prefix="email")
        if email_form.is_valid():
            actions.request_email_change(user, email_form.cleaned_data["email"])
            messages.success(request, _("We sent a confirmation link to your new address."))
            return redirect("accounts:account-settings")
        status = 400
    elif request.method == "POST":
        password_form = PasswordChangeForm(user, request.POST, prefix="password")
        if password_form.is_valid():
            actions.change_password(user, password_form.cleaned_data["new_password1"])
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:account-settings")
        status = 400
    context = {"email_form": email_form, "password_form": password_form, "section": "account"}
    return render(request, "accounts/settings_account.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def display_settings(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    if request.method == "POST":
        form = DisplayForm(request.POST)
        if form.is_valid():
            actions.set_display_preferences(account, show_counts=form.cleaned_data["show_counts"])
            messages.success(request, _("Your display settings have been saved."))
            return redirect("accounts:display-settings")
    else:
        form = DisplayForm(initial={"show_counts": account.show_counts})
    return render(
        request,
        "accounts/settings_display.html",
        {"form": form, "section": "display"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.delete_account(request.user.account, by_self=True)
        request.session.flush()
        return render(request, "accounts/deleted.html")
    return render(
        request,
        "accounts/settings_delete.html",
        {"form": form, "section": "delete"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def accept_code_of_conduct(request: HttpRequest) -> HttpResponse:
    code = CodeOfConduct.current()
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("web:home")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = reverse("web:home")
    if code is None:
        return redirect(next_url)
    form = AcceptCodeForm(
        request.POST if request.method == "POST" else None, initial={"version": code.version}
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["version"] != code.version:
            form.add_error(None, _("A newer version was published meanwhile. Please read it."))
        else:
            actions.accept_code_of_conduct(request.user, code)
            request.session["coc_version"] = code.version
            return redirect(next_url)
    accepted = actions.has_accepted_current_code(request.user)
    return render(
        request,
        "accounts/accept_code.html",
        {"form": form, "code": code, "next": next_url, "accepted": accepted},
        status=400 if form.errors else 200,
    )
