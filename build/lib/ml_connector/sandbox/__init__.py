"""Local stand-ins for both systems, faithful to their interfaces and their traps.

Used by the demo and the tests; nothing outside tests, the demo, the CLI and the sandbox
itself imports this package.
"""
