"""Shared core: configuration, database and migrations, event bus, state store, audit log,
injectable clock, citizen-ID and phone helpers, the province directory, and the generic pieces the
node and the CLI use (timers, the run file, the CLI context).

Everything else depends on this package; it depends on nothing else in the project and knows no home
(tests/core/test_core_knows_no_home.py): the composition root above the homes is `hotline/`.
"""
