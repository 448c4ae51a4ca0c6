"""Errors shared by every app's services and actions."""
from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A rule of the product refused the action; the message is shown to the user as is."""


class Refusal(str):
    """Why someone may not do something, in words a person understands, with its kind:

    - "permission": they may not do this to this object at all (a view answers 404);
    - "mfa": they could, as staff, once they set up two-factor authentication;
    - "participation": their membership is paused or removed;
    - "state": the object's status does not allow it now;
    - "rule": another rule of the product (a missing reason, an amount too large...).
    """

    kind: str

    def __new__(cls, text: str, kind: str = "rule"):
        value = super().__new__(cls, text)
        value.kind = kind
        return value


class ActionRefused(DomainError):
    """An action refused to run: carries the same reason its `check` gives."""

    def __init__(self, reason: str, kind: str | None = None):
        self.reason = reason if isinstance(reason, Refusal) and kind is None else Refusal(str(reason), kind or "rule")
        super().__init__(str(self.reason))

    @property
    def kind(self) -> str:
        return self.reason.kind

    @property
    def hides_object(self) -> bool:
        """Views answer 404 rather than explain: the person may not act on this object at all."""
        return self.kind == "permission"


class TwoFactorRequired(PermissionDenied):
    """Staff-only data or a staff action, asked for by a staff member without TOTP: the middleware sends them
    to set it up."""
