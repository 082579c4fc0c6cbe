"""The Flask application: app factory, one blueprint per area (auth, agent console, supervisor,
knowledge editor, admin, REST API, webhooks, Twilio), templates and static assets."""
