"""The engine: streams, ledger and cursors, vendor matching, GL mapping, duplicate checks,
the review queue and the audit log. It knows only the ports; it does no I/O of its own."""
