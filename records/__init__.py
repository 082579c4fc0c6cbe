"""records: read-only look-ups into the social-insurance core system (someone else's database),
citizen identity verification (service password or SMS code, lockout), agent views with province
scope, masking and audit. Owns the demo core database generator and the hashed service passwords."""
