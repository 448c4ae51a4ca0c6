"""Business actions of the testers app. Views, admin, tasks and commands call these; none repeat their rules."""
from atelier.errors import DomainError

__all__ = ["DomainError"]
