"""The app shells: the agent desk, the supervisor's monitor and the training desk; they own
the shared state (the call context), the worker messages and the background jobs."""
