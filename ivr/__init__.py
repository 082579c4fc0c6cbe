"""ivr: the IVR engine (a resumable step machine over declarative, versioned YAML call flows), the
flow validator and publishing, the prompt catalog, the intent classifier, the call log and survey
results, and the in-process simulator channel. The Asterisk and Twilio channel adapters live in
`ivr.asterisk` and `ivr.twilio*` and talk to the engine only through `ivr.actions`."""
