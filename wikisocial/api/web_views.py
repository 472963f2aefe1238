"""Settings pages about client access: the apps a person authorised (with a button to
withdraw each) and personal access tokens for their own bots (Mastodon's "Development")."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wikisocial.api import scopes, tokens


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=60,
        help_text=gettext_lazy("What the token is for, for example your bot's name."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=[(name, format_lazy("{}: {}", name, text)) for name, text in scopes.ALL.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        help_text=gettext_lazy("Give the token only what it needs."),
        error_messages={"required": gettext_lazy("Choose at least one scope.")},
    )


@login_required
@require_safe
def authorised_apps(request: HttpRequest) -> HttpResponse:
    context = {"authorisations": tokens.authorised_apps(request.user), "section": "apps"}
    return render(request, "oauth/settings_apps.html", context)


@login_required
@require_POST
def revoke_app(request: HttpRequest, app_id: int) -> HttpResponse:
    if not tokens.revoke_authorisation(request.user, app_id):
        raise Http404
    messages.success(request, _("The app can no longer use your account."))
    return redirect("oauth:authorised-apps")


@never_cache  # the page that shows a new token must not be kept anywhere
@login_required
@require_http_methods(["GET", "POST"])
def development(request: HttpRequest) -> HttpResponse:
    form = PersonalTokenForm(request.POST if request.method == "POST" else None)
    created, created_name = None, ""
    if form.is_bound and form.is_valid():
        try:
            created = tokens.create_personal_token(
                request.user, form.cleaned_data["scopes"], form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            created_name = form.cleaned_data["name"]
            form = PersonalTokenForm()
    context = {
        "form": form,
        "created": created,
        "created_name": created_name,
        "tokens": tokens.personal_tokens(request.user),
        "section": "development",
    }
    return render(
        request, "oauth/settings_development.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def revoke_personal_token(request: HttpRequest, app_id: int) -> HttpResponse:
    if not tokens.revoke_personal_token(request.user, app_id):
        raise Http404
    messages.success(request, _("The token has been revoked."))
    return redirect("oauth:development")
