"""SMS home: the durable outbox and its dispatcher, provider adapters (Kannel HTTP, SMPP 3.4, Twilio,
log), GSM-7/UCS-2 encoding and segmentation, templates, opt-out, quiet hours, daily caps, delivery
receipts and the inbound log. It depends on the core only: what a citizen's SMS asks for (keyword
commands, knowledge answers, the record query, callbacks) is the conversation channel `smschat/`.

Reached as `platform.sms` (see docs/contracts.md "sms"); the domain modules here never import Flask
or provider SDKs — only `sms/providers/` and `web/webhooks.py` do.
"""
