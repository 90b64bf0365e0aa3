"""The people who call: phone numbers, caller lookup and the caller's card, the customer CSV,
contacts (one call each) and the screen-pop socket."""
