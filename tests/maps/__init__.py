"""Tests of the maps (maps/ and strikedb map): rendering, palettes, the map in headless Chromium."""
