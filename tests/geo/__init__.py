"""Tests of offline geocoding (events.geo): boundaries, regions, the place index, the gazetteer."""
