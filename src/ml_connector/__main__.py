"""`python -m ml_connector` runs the CLI."""

from ml_connector.app.cli.main import main

main()
