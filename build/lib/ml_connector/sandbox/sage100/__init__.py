"""The Sage 100 sandbox: the BOI object model (ProvideX.Script surface) over SQLite."""
