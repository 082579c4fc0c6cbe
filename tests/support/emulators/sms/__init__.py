"""Loopback peers for tests and benchmarks (never in the path of a real message): a Kannel-sendsms
compatible HTTP sink that de-duplicates by our message id, and a small SMPP 3.4 server."""
