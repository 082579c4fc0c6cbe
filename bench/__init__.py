"""Benchmarks that print figures (medians, percentiles, ratios); never timed assertions in tests.
Run `hotline bench --help`. Each area adds `bench/<area>.py` exposing a click command `command`."""
