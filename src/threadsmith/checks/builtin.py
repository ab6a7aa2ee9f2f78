"""The built-in checks: importing this module registers them all."""

from threadsmith.checks import duplicates, records, roles, turns  # noqa: F401
