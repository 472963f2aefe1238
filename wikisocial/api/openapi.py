"""An OpenAPI 3.0 description of the client API, built from the declared endpoints."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from wikisocial import __version__
from wikisocial.api import scopes
from wikisocial.api.base import APP, NONE, OPTIONAL, REGISTRY, Endpoint, Param, json_response

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _schema(param: Param) -> dict[str, Any]:
    if param.type == "file":
        return {"type": "string", "format": "binary"}
    schema: dict[str, Any] = {"type": param.type}
    if param.type == "array":
        schema["items"] = {"type": param.items}
    if param.type == "object":
        schema["additionalProperties"] = True
    if param.enum:
        schema["enum"] = list(param.enum)
    return schema


def _path_names(api_path: str) -> list[str]:
    return re.findall(r"<(\w+)>", api_path)


def _operation(ep: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "operationId": f"{ep.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', ep.path.lower())}",
        "tags": [ep.tag],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_names(ep.path)
        ],
        "responses": {
            "200": {"description": "Success"},
            "401": {"description": "Missing or invalid token"},
            "404": {"description": "Not found"},
            "422": {"description": "Invalid parameters"},
        },
    }
    if ep.auth != NONE:
        op["security"] = [{"oauth": [ep.scope] if ep.scope else []}]
        if ep.auth in (OPTIONAL,):
            op["security"].append({})
    body_params = [p for p in ep.params if p.name not in _path_names(ep.path)]
    if ep.method in BODY_METHODS and body_params:
        properties = {p.name: {**_schema(p), "description": p.description} for p in body_params}
        required = [p.name for p in body_params if p.required]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        has_file = any(p.type == "file" for p in body_params)
        content = {"multipart/form-data": {"schema": schema}}
        if not has_file:
            content["application/json"] = {"schema": schema}
        op["requestBody"] = {"required": bool(required), "content": content}
    else:
        for p in body_params:
            name = f"{p.name}[]" if p.type == "array" else p.name
            op["parameters"].append(
                {
                    "name": name,
                    "in": "query",
                    "required": p.required,
                    "description": p.description,
                    "schema": _schema(p) if p.type != "object" else {"type": "string"},
                }
            )
    return op


def build() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for ep in REGISTRY:
        route = "/api/" + re.sub(r"<(\w+)>", r"{\1}", ep.path)
        paths.setdefault(route, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "WikiSocial client API",
            "version": __version__,
            "description": (
                "Mastodon's client API as WikiSocial serves it. Parameters may be sent as "
                'query strings, forms, multipart or JSON; errors are {"error": "..."}.'
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": settings.SITE_URL + "/oauth/authorize",
                            "tokenUrl": settings.SITE_URL + "/oauth/token",
                            "scopes": {k: str(v) for k, v in scopes.ALL.items()},
                        },
                        "clientCredentials": {
                            "tokenUrl": settings.SITE_URL + "/oauth/token",
                            "scopes": {k: str(v) for k, v in scopes.ALL.items()},
                        },
                    },
                }
            }
        },
    }


def description(request: HttpRequest) -> HttpResponse:
    return json_response(build())


__all__ = ["APP", "build", "description"]
