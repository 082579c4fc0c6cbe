"""Provincial queues and the ACD: agents (linked to console users) with skills, languages, levels and
states; offers with ring-no-answer; priorities; longest-idle selection; overflow tiers; estimated
wait; callbacks (virtual hold, missed calls); hold, transfer, wrap-up; live statistics and 15-minute
history. Reached as `platform.agents` (see docs/contracts.md and docs/switch-acd.md)."""
