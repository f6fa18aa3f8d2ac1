"""Alembic environment for the catalog store: run by CatalogStore.migrate() with the store's connection."""

from alembic import context

from overhead.catalog.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
