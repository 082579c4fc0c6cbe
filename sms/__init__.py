"""SMS home: the durable outbox and its dispatcher, provider adapters (Kannel HTTP, SMPP 3.4, Twilio,
log), GSM-7/UCS-2 encoding and segmentation, templates, opt-out, quiet hours, daily caps, and the
inbound pipeline (keyword commands, knowledge answers, delivery receipts).

Reached as `platform.sms` (see docs/contracts.md "sms"); the domain modules here never import Flask
or provider SDKs — only `sms/providers/` and `web/webhooks.py` do.
"""
