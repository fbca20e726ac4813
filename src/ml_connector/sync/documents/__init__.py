"""One document's path through the engine: normalising it, its lines, its fingerprint and
Sage invoice number, the exactly-once write, changes after export and the outbox."""
