"""Scopes: each API view names the one it needs, and a token without it is refused with a 403 that names it."""
from __future__ import annotations

from rest_framework import permissions


class HasScope(permissions.BasePermission):
    """The view's `required_scope` (or `required_scopes`, by HTTP method) must be among the token's scopes."""

    def scope_for(self, request, view) -> str:
        by_method = getattr(view, "required_scopes", None)
        if by_method is not None:
            return by_method[request.method if request.method in by_method else "GET"]
        return view.required_scope

    def has_permission(self, request, view):
        token = request.auth
        if token is None:  # IsAuthenticated, before this, answers 401
            return False
        scope = self.scope_for(request, view)
        if token.has_scope(scope):
            return True
        self.message = f"This token does not have the {scope} scope. Create a token with it on your tokens page."
        return False
