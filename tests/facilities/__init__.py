"""Tests of the facility gazetteer (events.facilities): import, capacity, units, rail lines, linking."""
