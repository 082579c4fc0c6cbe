"""Emulators of the platform's peers (Twilio, SMS gateways), for the tests and `hotline bench` from a
checkout. Product code never imports them (the Asterisk emulator is tests/asterisk/emulator.py)."""
