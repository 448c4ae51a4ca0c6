"""Errors shared by every app's services."""


class DomainError(Exception):
    """A rule of the product refused the action; the message is shown to the user as is."""
