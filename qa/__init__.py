"""Quality review (质检) of recorded calls: scoring forms, the review queue (weekly random sample
per agent plus flagged calls), time-stamped comments, the agent's acknowledgement or dispute, and
reports per agent, team (queue), province and criterion."""
