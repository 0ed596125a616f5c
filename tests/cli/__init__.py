"""Tests of the command line as a user meets it: the README tour, start-up cost, packaging, dependencies."""
