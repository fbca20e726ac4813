"""GL accounts: the rules file a controller edits and mapping a line to a Sage account."""
