from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from wikisocial.api import serializers
from wikisocial.api.auth import require_token


@require_GET
@require_token("read")
def verify_credentials(request: HttpRequest) -> JsonResponse:
    return JsonResponse(serializers.credential_account(request.user.account))
