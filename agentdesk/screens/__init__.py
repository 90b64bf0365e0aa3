"""One module per screen: screens draw and take keys, call services from thread workers and
never touch the database on the UI thread."""
