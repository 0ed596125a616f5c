"""Reliability: crash safety, faults, concurrency, memory bounds, hostile inputs, backups."""
