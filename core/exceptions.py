"""One error hierarchy for every app, mapped once to HTTP here, to pages in core.middleware and to admin
messages in stations.admin_scoping."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class FuelpayError(Exception):
    code = "error"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The request could not be completed.")

    def __init__(self, message: str | None = None, *, extra: dict | None = None):
        self.message = str(message or self.default_message)
        self.extra = extra or {}
        super().__init__(self.message)


class RetryableError(FuelpayError):
    """Contention or a transient outage: the same request may succeed if sent again."""

    http_status = status.HTTP_409_CONFLICT


def _body(code: str, message: str, extra: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "extra": extra or {}}


def api_exception_handler(exc, context):
    if isinstance(exc, FuelpayError):
        response = Response(_body(exc.code, exc.message, exc.extra), status=exc.http_status)
        if isinstance(exc, RetryableError):
            response["Retry-After"] = "1"
        return response
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(_body("invalid", _("Invalid input."), {"fields": fields}), status=400)
    if isinstance(exc, Http404 | drf_exceptions.NotFound):
        return Response(_body("not_found", _("Not found.")), status=404)
    if isinstance(exc, PermissionDenied | drf_exceptions.PermissionDenied):
        return Response(_body("permission_denied", _("You do not have permission.")), status=403)
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        return Response(_body("not_authenticated", _("Please sign in.")), status=401)
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(_body("invalid", _("Invalid input."), {"fields": detail}), status=400)
    if isinstance(exc, drf_exceptions.Throttled):
        return Response(_body("throttled", _("Too many requests.")), status=429)
    if isinstance(exc, drf_exceptions.APIException):
        return Response(_body(exc.default_code, exc.detail), status=exc.status_code)
    logger.exception("unhandled API error", extra={"view": context.get("view").__class__.__name__})
    return None
