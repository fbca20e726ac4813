"""The connector's web faces: the clerk's web app (review queue, bills, runs, audit), its
login and sessions, `/healthz` and `/metrics`, and the webhook receiver."""
