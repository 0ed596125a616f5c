"""Errors raised by map rendering (maps/ depends on nothing but events.vocab)."""

from __future__ import annotations


class MapDataError(ValueError):
    """The data handed to the map renderer cannot be drawn (missing column, bad value...)."""


class OfflineAssetError(RuntimeError):
    """An offline map needs a JavaScript/CSS file that no installed package provides."""
