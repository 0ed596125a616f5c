"""Tests of the ingest pipeline (events.ingest): identity, merging, grading, quarantine, event operations."""
