"""Call recordings: capture hooks for the voice channels, compressed storage (data dir or an
S3-compatible bucket), metadata, retention per province, holds, access control and transcripts."""
