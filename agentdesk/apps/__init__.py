"""The app shells: the agent desk, the supervisor's monitor and the training desk; they own the
shared state (the call context), the worker messages, the background jobs and who is on the
desk (`apps/presence.py`: sign-in, status, the screen lock)."""
