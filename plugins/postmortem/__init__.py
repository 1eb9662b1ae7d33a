"""Postmortems and the incident log (docs/postmortems.md)."""
