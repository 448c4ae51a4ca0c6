"""Business actions of the payments app."""
