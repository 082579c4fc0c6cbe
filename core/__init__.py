"""Shared core: configuration, database and migrations, event bus, state store, audit log,
injectable clock, citizen-ID and phone helpers, the province directory and the `hotline` CLI.

Everything else depends on this package; it depends on nothing else in the project.
"""
