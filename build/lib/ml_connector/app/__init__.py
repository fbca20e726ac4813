"""What users touch: the CLI, config and secrets, the scheduler, the Windows service, the
webhook receiver and the dashboard. The only package that wires everything together."""
