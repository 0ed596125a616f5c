"""The confidence rule: from claim status and Admiralty grading to an ordinal level.

Analysts grade each report with a *claim status* and the NATO Admiralty code (source
reliability A-F, information credibility 1-6). Maps and SQL need one ordinal level; this module
derives it. The rule, also documented in ``docs/confidence.md``:

1. ``disputed`` and ``debunked`` claims are ``unverified``, whatever the grading; so is a
   ``claimed`` event with no source at all (nothing to read: a tracker's "not verified" row).
2. Otherwise start from the claim status: ``confirmed_by_official`` / ``confirmed_by_imagery``
   give 3, ``reported`` gives 2, ``claimed`` gives 1.
3. Raise by one (to at most 3) when the information is *confirmed by other sources*
   (credibility 1) and the source is *completely* or *usually reliable* (A or B).
4. Lower by one when the information is *doubtfully true* or *improbable* (credibility 4 or 5),
   and by one more when the source is *not usually reliable* or *unreliable* (D or E); never
   below 0.
5. Map 3 → ``confirmed``, 2 → ``likely``, 1 → ``possible``, 0 → ``unverified``.

Missing grades (F / 6, "cannot be judged") neither raise nor lower the level.
"""

from __future__ import annotations

from events import vocab

_BASE_SCORE = {
    "confirmed_by_official": 3,
    "confirmed_by_imagery": 3,
    "reported": 2,
    "claimed": 1,
}
_LEVEL_BY_SCORE = {3: "confirmed", 2: "likely", 1: "possible", 0: "unverified"}


def confidence_level(
    claim_status: str, reliability: str | None = None, credibility: int | None = None, *, sourced: bool = True
) -> str:
    """Derive the ordinal confidence level of a report.

    Parameters
    ----------
    claim_status : str
        One of :data:`events.vocab.CLAIM_STATUSES`.
    reliability : str, optional
        Admiralty source reliability, ``A`` (completely reliable) to ``F`` (cannot be judged).
    credibility : int, optional
        Admiralty information credibility, 1 (confirmed by other sources) to 6 (cannot be judged).
    sourced : bool, default True
        False when the event has no source at all: a claim then has nothing to read.

    Returns
    -------
    str
        One of :data:`events.vocab.CONFIDENCE_LEVELS`.

    Raises
    ------
    ValueError
        For a value outside the vocabularies.

    Examples
    --------
    >>> confidence_level("confirmed_by_imagery")
    'confirmed'
    >>> confidence_level("reported", "A", 1)
    'confirmed'
    >>> confidence_level("claimed", "E", 5)
    'unverified'
    >>> confidence_level("claimed", sourced=False)
    'unverified'
    """
    if claim_status not in vocab.CLAIM_STATUSES:
        raise ValueError(f"unknown claim status {claim_status!r}")
    if reliability is not None and reliability not in vocab.SOURCE_RELIABILITIES:
        raise ValueError(f"unknown source reliability {reliability!r}")
    if credibility is not None and credibility not in vocab.INFO_CREDIBILITIES:
        raise ValueError(f"unknown information credibility {credibility!r}")
    if claim_status in ("disputed", "debunked") or (claim_status == "claimed" and not sourced):
        return "unverified"
    return _LEVEL_BY_SCORE[_score(claim_status, reliability, credibility)]


def _score(claim_status: str, reliability: str | None, credibility: int | None) -> int:
    score = _BASE_SCORE[claim_status]
    if credibility == 1 and reliability in ("A", "B"):
        score += 1
    if credibility in (4, 5):
        score -= 1
    if reliability in ("D", "E"):
        score -= 1
    return max(0, min(3, score))


def confidence_steps(
    claim_status: str, reliability: str | None = None, credibility: int | None = None, *, sourced: bool = True
) -> list[str]:
    """Explain :func:`confidence_level` step by step, for ``strikedb events show``.

    Examples
    --------
    >>> confidence_steps("reported", "B", 1)
    ['reported scores 2', 'credibility 1 from an A/B source: +1', 'score 3 = confirmed']
    >>> confidence_steps("disputed")
    ['disputed: unverified whatever the grading']
    """
    level = confidence_level(claim_status, reliability, credibility, sourced=sourced)
    if claim_status in ("disputed", "debunked"):
        return [f"{claim_status}: unverified whatever the grading"]
    if level == "unverified" and claim_status == "claimed" and not sourced:
        return ["claimed with no source at all (nothing to read): unverified whatever the grading"]
    steps = [f"{claim_status} scores {_BASE_SCORE[claim_status]}"]
    if credibility == 1 and reliability in ("A", "B"):
        steps.append("credibility 1 from an A/B source: +1")
    if credibility in (4, 5):
        steps.append(f"credibility {credibility} ({'doubtfully true' if credibility == 4 else 'improbable'}): -1")
    if reliability in ("D", "E"):
        meaning = "not usually reliable" if reliability == "D" else "unreliable"
        steps.append(f"reliability {reliability} ({meaning}): -1")
    steps.append(f"score {_score(claim_status, reliability, credibility)} = {level}")
    return steps
