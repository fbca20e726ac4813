"""Vendors: names as offices key them, scoring and matching, resolving a document's vendor,
and the two-way vendor step of a cycle (links, creations, field edits)."""
