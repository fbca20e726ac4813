"""The HTTP faces of a running connector: the dashboard, health and metrics."""
