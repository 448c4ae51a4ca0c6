"""Business actions of the testers app. Views, admin, tasks and commands call these; none repeat their rules."""


class DomainError(Exception):
    """A rule of the product refused the action; the message is shown to the user as is."""
