"""How the OpenAPI schema describes the token: a bearer scheme, so Swagger UI's "Authorize" takes one."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "atl_…",
                "description": "A personal access token from your tokens page (docs/api.md)."}
