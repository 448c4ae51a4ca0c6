"""Every error of the API as JSON with a `detail` sentence (and field errors by field for a 400): an action's
refusal becomes the status a client can act on, never a 500."""
from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from atelier.errors import ActionRefused, DomainError

#: An action's refusal, by kind (atelier.errors.Refusal): what the API answers.
REFUSAL_STATUS = {
    "permission": status.HTTP_404_NOT_FOUND,  # may not act on it at all: as if it did not exist
    "participation": status.HTTP_403_FORBIDDEN,
    "state": status.HTTP_409_CONFLICT,
    "rule": status.HTTP_400_BAD_REQUEST,
}


def refusal_response(refused: ActionRefused) -> Response:
    code = REFUSAL_STATUS.get(refused.kind, status.HTTP_400_BAD_REQUEST)
    detail = "Not found." if code == status.HTTP_404_NOT_FOUND else str(refused)
    return Response({"detail": detail, "code": refused.kind}, status=code)


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        return refusal_response(exc)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc), "code": "rule"}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
