"""This app's panel on the artist portal's home, computed for all of an artist's memberships at once."""


def home_panels(user, memberships) -> dict:
    """{membership_id: context for templates/payments/_home_panel.html}, in a bounded number of queries."""
    return {}
