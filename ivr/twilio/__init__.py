"""ivr.twilio: the Twilio voice channel adapter. It renders the IVR engine's `Action`s as TwiML,
maps Twilio's webhook parameters back to `Result`s, keeps the small per-call channel state in the
state store (so any node can answer the next webhook), checks `X-Twilio-Signature`, connects queued
callers to agents through Twilio's REST API and hands browser agents Voice access tokens.

No Flask here: `web/twilio.py` is the thin blueprint in front of `ivr.twilio.voice.TwilioVoice`.
The emulators (a fake Twilio REST API, signed webhook requests, a call that follows the TwiML the way
Twilio does) live in the test tree, tests/support/emulators/twilio.py: never on the code path of a
real call, never shipped.
"""
