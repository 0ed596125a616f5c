"""strikedb: a database of reported strikes on energy infrastructure."""

__version__ = "0.1.0"
