"""`hotline bench twilio`: Twilio voice webhooks end to end (see ivr/twilio/bench.py)."""

from ivr.twilio.bench import command

__all__ = ["command"]
