"""The Asterisk front end: an asyncio FastAGI server (`agi`), an AMI client (`ami`), the channel
adapter that runs the IVR engine's actions over AGI (`channel`), the AMI-side call tracking, callbacks
and device states (`control`), and the node services (`runtime`). The example dialplan is in `conf/`.

Both protocols are written here on asyncio (see docs/asterisk.md for why not pyst2/panoramisk).
Nothing in this package is imported by the domain homes.
"""
