"""tickets: work orders (工单) an agent opens for the business office — caller, topic, description,
province/center, due date in mainland working days (with 调休 make-up days), status, comments and
history, closure note. Owns the `tickets` and `ticket_events` tables and `platform.tickets`."""
