"""One module per screen. Screens never touch the database on the UI thread: they call
services from thread workers and draw what comes back."""
