"""screens: one module per screen. Screens draw and take keys; they call services from
thread workers and never touch the database on the UI thread."""
