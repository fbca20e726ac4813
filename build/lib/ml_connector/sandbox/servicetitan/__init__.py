"""The ServiceTitan sandbox: an ASGI app speaking the official API paths and shapes."""
