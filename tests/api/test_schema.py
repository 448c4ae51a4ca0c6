"""The OpenAPI schema and its reference page, served by Atelier itself (no CDN)."""
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_and_describes_the_token_and_each_endpoint(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/api/v1/feedback/", "/api/v1/feedback/{id}/", "/api/v1/terms/what-can-i-share/"}
    assert schema["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"
    create = schema["paths"]["/api/v1/feedback/"]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
    fields = schema["components"]["schemas"]["FeedbackSubmitRequest"]["properties"]
    assert {"build", "os", "device", "images"} <= set(fields)


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get(reverse("api:docs"))
    html = response.content.decode()
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(not a.startswith(("http:", "https:", "//")) for a in assets), assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/").split("?")[0]), asset
    assert any("swagger-ui-bundle.js" in a for a in assets)
    assert "<script>" not in html and "<style" not in html  # nothing inline: the site's CSP holds
    script = client.get(reverse("api:docs"), {"script": ""})
    assert script.status_code == 200 and reverse("api:schema") in script.content.decode()
