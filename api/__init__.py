"""The REST API: feedback from inside the tool an artist tests, with personal access tokens (docs/api.md)."""
