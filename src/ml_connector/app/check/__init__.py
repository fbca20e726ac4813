"""The connectivity check: ServiceTitan, Sage 100 and eBusiness Web Services, one row each."""
