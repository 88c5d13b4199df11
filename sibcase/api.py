"""Shared pieces of the REST API: JSON errors, role permissions, pagination, and access logging.

Every error leaves as JSON: {"code": ..., "message": ..., "errors": [...]} — a DomainError's problems, a
validation error's fields, or "server_error" for a bug (logged with its trace, never shown).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .audit import access_log_record_many
from .errors import DomainError
from .models import AccessAction

logger = logging.getLogger("sibcase.api")


def api_exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(
            {
                "code": exc.problems[0].code,
                "message": str(exc.problems[0].message),
                "errors": [{**p.as_dict(), "field": exc.field_name} for p in exc.problems],
            },
            status=status.HTTP_409_CONFLICT if "already_enrolled" in exc.codes else status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "too_large", "message": str(_("Pyyntö on liian suuri. Mitään ei tallennettu."))},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in API view %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(
            {"code": "server_error", "message": str(_("Palvelussa tapahtui virhe. Mitään ei tallennettu."))},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "message": str(_("Tiedoissa on virheitä.")),
            "errors": response.data if isinstance(response.data, dict) else {"non_field_errors": response.data},
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {"code": codes if isinstance(codes, str) else exc.default_code, "message": str(exc.detail)}
    return response


class HasRole(permissions.BasePermission):
    """The view's `roles` (reads) and `write_roles` (writes, default: the same) decide who may call it."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        roles = getattr(view, "roles", set())
        if request.method not in permissions.SAFE_METHODS:
            roles = getattr(view, "write_roles", roles)
        return user.is_superuser or user.role in roles


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AccessLoggedReads:
    """ViewSet mixin: list and retrieve responses are written to the access log, one row per family shown.

    `access_family_field` names the family id in the serialized rows ("id" for families, "family" otherwise).
    """

    access_family_field = "family"
    access_basis = "rajapinta"

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        log_api_read(request, family_ids=[row[self.access_family_field] for row in rows], basis=self.access_basis)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_api_read(request, family_ids=[response.data[self.access_family_field]], basis=self.access_basis)
        return response


def log_api_read(request, *, family_ids: Iterable[int], basis: str) -> None:
    """An API response showing people's data is logged like a page: one row per family."""
    access_log_record_many(
        user=request.user,
        action=AccessAction.API_READ,
        basis=basis,
        family_ids=[family_id for family_id in family_ids if family_id is not None],
        path=request.get_full_path(),
    )


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"oneOf": [{"type": "object"}, {"type": "array"}]},
        "imported": {"type": "integer"},
    },
    "required": ["code", "message"],
}
ERROR_STATUSES = {
    "400": "Invalid input; nothing was saved",
    "401": "Not authenticated",
    "403": "The role may not do this",
    "404": "Not found, or not visible to the caller",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflict with the current state",
    "413": "Request too large",
    "415": "Unsupported media type",
    "429": "Too many requests",
    "500": "Server error; nothing was saved",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing: every operation documents the JSON errors it can answer with."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
