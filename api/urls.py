"""The REST API under /api/v1/ (tokens only), its schema and reference, and the artist's tokens page."""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import tokens, v1

app_name = "api"


class SchemaView(SpectacularAPIView):
    """Public: it describes the API, holds no one's data. No authentication (no session, no token)."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files (drf-spectacular-sidecar); its start-up script is a separate request,
    so the page keeps the site's CSP (no inline script)."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    url_name = "api:schema"
    template_name = "api/swagger_ui.html"


urlpatterns = [
    path("tokens/", tokens.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("api/v1/feedback/", v1.FeedbackListCreate.as_view(), name="feedback"),
    path("api/v1/feedback/<int:pk>/", v1.FeedbackDetail.as_view(), name="feedback_detail"),
    path("api/v1/terms/what-can-i-share/", v1.WhatCanIShare.as_view(), name="what_can_i_share"),
    path("api/v1/schema/", SchemaView.as_view(), name="schema"),
    path("api/v1/docs/", DocsView.as_view(), name="docs"),
]
