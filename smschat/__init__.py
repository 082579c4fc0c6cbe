"""SMS conversation channel: what a citizen's SMS asks for — keyword commands, questions answered from
the knowledge base (and "1" for the details), the record query with a one-time code, opt-out and
callbacks — the SMS counterpart of the IVR. Reached as `platform.smschat` (`smschat/api.py`); the
webhooks (`web/webhooks.py`) hand it each received message. Replies leave through the SMS gateway
(`platform.sms`), which also keeps the inbound log and the reply times.
"""
