"""Tests of the readers (events.readers): CSV, ACLED, UCDP and GeoJSON files, validators, fuzzing."""
