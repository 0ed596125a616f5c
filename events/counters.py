"""Reports that count: a dataclass base of named counters, so that a report names its counts once.

The reports of an ingest run, a facility import, ``strikedb facilities match`` and the rail
linking each count rows or events by outcome; :func:`counters` makes the fields (``int``, 0 to
start) and :meth:`Counters.counts` (them as a dict, for printing and for the run record).
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import ClassVar


@dataclass
class Counters:
    """The base of the classes :func:`counters` makes; ``counted`` names their counters, in order."""

    counted: ClassVar[tuple[str, ...]] = ()

    def counts(self) -> dict[str, int]:
        """Return the counters as a dict, in the order they were named."""
        return {name: getattr(self, name) for name in self.counted}


def counters(*names: str) -> type[Counters]:
    """Return a dataclass base with one keyword-only ``int`` field per name, each starting at 0.

    Keyword-only, so that the subclass's own fields may come first and go without defaults.

    Parameters
    ----------
    *names : str
        The counters, in the order :meth:`Counters.counts` gives them.
    """
    fields = [(name, int, field(default=0, kw_only=True)) for name in names]
    return make_dataclass("Counters", fields, bases=(Counters,), namespace={"counted": names})


__all__ = ["Counters", "counters"]
