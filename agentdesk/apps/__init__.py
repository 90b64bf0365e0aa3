"""apps: the app shells: the agent desk, the supervisor's monitor and the training desk.
They own the shared UI state and the background jobs; screens and widgets draw."""
