"""The Sage 100 side: the port the engine uses, the BOI adapter, the COM factory, and the
eBusiness Web Services client."""
