"""tickets: the ticket domain: the taxonomy, the SLA policy, the workflow (statuses,
transitions, events), the clocks (which runs when, the countdown, warnings and 督办),
the ticket services and the queue."""
