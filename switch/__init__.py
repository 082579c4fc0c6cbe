"""The national switching layer: the directory of centers (31 provinces, the XPCC, the national
center) with their queues, hours, holidays and capacity; the routing decision for each call and its
reasons; overflow; and cross-province transfer, locally or to another deployment by a signed
handoff. Reached as `platform.switch` (see docs/contracts.md and docs/switch-acd.md)."""
