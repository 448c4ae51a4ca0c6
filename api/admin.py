"""Tokens in the admin: read-only (the hash is never shown). Only their artist revokes them (staff tokens and
staff actions on tokens are out of scope); a site admin stops a token by pausing the membership or the account."""
from django.contrib import admin

from api.models import ApiToken
from atelier.admin import ReadOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "membership", "status", "created_at", "last_used_at", "expires_at"]
    list_filter = ["status", "membership__program"]
    search_fields = ["name", "prefix", "membership__artist__display_name"]
    list_select_related = ["membership__artist", "membership__program"]
    exclude = ["secret_hash"]
