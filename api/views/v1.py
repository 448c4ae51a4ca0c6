"""Version 1 of the REST API. Thin like every view: authenticate the token, check its scope, validate, then run
the same actions and selectors as the portal (testers.actions.SubmitFeedback, testers.selectors)."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers
from api.errors import refusal_response
from api.permissions import HasScope
from atelier.errors import ActionRefused
from atelier.permissions import get_object_for
from atelier.uploads import BoundedUploadHandler, UploadTooLarge, limits_for
from testers import media, selectors
from testers.actions import SubmitFeedback
from testers.views.portal import FEEDBACK_PATHS


ERRORS = {
    401: OpenApiResponse(description="No token, an unknown, revoked or expired token, or an inactive membership."),
    403: OpenApiResponse(description="The token lacks the scope this endpoint needs."),
    429: OpenApiResponse(description="Over the token's rate limit: wait for Retry-After seconds."),
}


# Mixed into every API view: a token with `required_scope` (or `required_scopes` by method). Its docstring would
# become every operation's description in the schema, so this is a comment.
class TokenView:

    permission_classes = [IsAuthenticated, HasScope]

    @property
    def membership(self):
        return self.request.auth.membership


def _own_feedback(view):
    """The token's membership's feedback, newest first, with what the serializer reads (fixed query count)."""
    return (selectors.feedback_for_artist(view.request.user).filter(membership=view.membership)
            .prefetch_related("attachments"))


class FeedbackListCreate(TokenView, generics.GenericAPIView):
    required_scopes = {"GET": "feedback:read", "POST": "feedback:write"}
    serializer_class = serializers.FeedbackSerializer

    def get_queryset(self):
        return _own_feedback(self)

    @extend_schema(summary="Your feedback in the token's program, newest first, with its status",
                   description="Scope `feedback:read`. 25 items a page; `next` links to the following page.",
                   responses={200: serializers.FeedbackSerializer(many=True), **ERRORS})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Send feedback, with screenshots and the tool's build, OS and device",
        description="Scope `feedback:write`. The portal's checks apply: a bug needs a severity; at most 5 images "
                    "(JPEG, PNG, WebP or GIF, 10 MB each), checked by their content. Send screenshots as "
                    "multipart/form-data, one `images` part per file. Nothing is saved unless everything is valid.",
        request={"multipart/form-data": serializers.FeedbackSubmitSerializer,
                 "application/json": serializers.FeedbackSubmitSerializer},
        responses={201: serializers.FeedbackSerializer, 400: OpenApiResponse(description="Field errors, by field."),
                   413: OpenApiResponse(description="A file or the whole body is too large."), **ERRORS})
    def post(self, request):
        action = SubmitFeedback(request.user, self.membership)
        refusal = action.check()
        if refusal is not None:  # the artist cannot send feedback at all now (terms to accept): nothing to validate
            return Response({"detail": str(refusal), "code": refusal.kind}, status=status.HTTP_403_FORBIDDEN)
        too_large = self._bound_uploads(request)
        if too_large:
            return Response({"detail": too_large, "code": "too_large"},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            serializer = serializers.FeedbackSubmitSerializer(data=request.data,
                                                              context={"membership": self.membership})
            serializer.is_valid(raise_exception=True)
        except UploadTooLarge as error:
            return Response({"detail": str(error), "code": "too_large"},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        data = serializer.validated_data
        try:
            feedback = SubmitFeedback(
                request.user, self.membership, kind=data["kind"], title=data["title"], body=data["body"],
                severity=data.get("severity", ""), images=data.get("images", []), build=data.get("build", ""),
                os=data.get("os", ""), device=data.get("device", ""), via="api",
            ).run()
        except ActionRefused as refused:
            return refusal_response(refused)
        feedback = _own_feedback(self).get(pk=feedback.pk)
        return Response(serializers.FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("api:feedback_detail", args=[feedback.pk])})

    @staticmethod
    def _bound_uploads(request) -> str | None:
        """Each file and the whole body are counted as they stream in, as the portal's form is (the middleware
        leaves this path's body unparsed so that only a request with a valid token is read). A body without files
        (JSON) gets what any form's fields get; returns why the body is refused, if it is."""
        if request.content_type.split(";")[0].strip() != "multipart/form-data":
            length = request.META.get("CONTENT_LENGTH") or "0"
            if length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return (f"The request is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1000:,} kB, the most "
                        f"a body without files may be; send screenshots as multipart/form-data.")
            return None
        body_limit, _ = limits_for(request._request.path_info, anonymous=True)
        request._request.upload_handlers.insert(0, BoundedUploadHandler(
            request._request, body_limit=body_limit, file_limit=media.FEEDBACK_IMAGE_LIMITS.max_bytes_image))
        return None


class FeedbackDetail(TokenView, generics.RetrieveAPIView):
    required_scope = "feedback:read"
    serializer_class = serializers.FeedbackSerializer

    @extend_schema(summary="One item of your feedback (another artist's, or another program's, is a 404)",
                   description="Scope `feedback:read`.",
                   responses={200: serializers.FeedbackSerializer, 404: OpenApiResponse(description="Not yours."),
                              **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return get_object_for(self.request.user, "feedback.view", _own_feedback(self), pk=self.kwargs["pk"],
                              **FEEDBACK_PATHS)


class WhatCanIShare(TokenView, APIView):
    required_scope = "terms:read"

    @extend_schema(summary="What you may share in the token's program: the clauses of the terms you accepted, "
                           "by class", description="Scope `terms:read`.", responses={200: serializers.WhatCanIShareSerializer, **ERRORS})
    def get(self, request):
        section, = selectors.what_can_i_share([self.membership])
        return Response(serializers.WhatCanIShareSerializer(section).data)
