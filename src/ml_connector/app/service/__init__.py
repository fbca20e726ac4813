"""Running the connector continuously: the scheduler, the runner, and the OS service."""
