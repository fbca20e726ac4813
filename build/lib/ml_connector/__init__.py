"""ml-connector: ServiceTitan AP bills and invoices into Sage 100 accounts payable, exactly once."""

__version__ = "0.1.0"
