"""Views of the testers app (function-based, thin: permission helper, then a service or a selector)."""
from atelier.pagination import paginate

__all__ = ["paginate"]
