"""Alembic migrations of the state database, shipped as a package so setuptools includes
them in the wheel. They run through `ml_connector.store.migrate` (there is no alembic.ini);
docs/store.md says how to add a revision."""
