"""The ticket domain: the taxonomy, the SLA policy and deadlines, the workflow (statuses,
transitions, events), the clocks (which runs when, the countdown), the escalation scan
(warnings and 督办), the ticket services, the ticket view and the queue."""
