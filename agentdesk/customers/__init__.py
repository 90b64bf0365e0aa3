"""customers: the people who call: phone numbers, caller lookup, the customer CSV,
contacts (one call each) and the screen-pop socket."""
