"""`python -m ml_connector` runs the CLI."""

from ml_connector.app.cli import main

main()
