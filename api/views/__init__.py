"""The api app's views: the REST API itself (v1) and the artist's tokens page (tokens)."""
