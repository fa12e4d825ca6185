"""SQLAlchemy storage: the schema, migrations at start-up, and the Store implementation."""
