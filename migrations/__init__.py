"""Alembic migration scripts of strikedb, shipped inside the wheel.

Located at run time with :mod:`importlib.resources` by :mod:`events.migrate`.
"""
