"""Decisions of a batch: what each report does to the events (unchanged, update, merge, insert).

For each report, in file order (documented in ``docs/ingest.md``):

* a stored event with its report key: unchanged (same content hash) or updated, with a revision;
  but a report found by its id whose day and place are both far from the event's
  (:data:`ID_CLASH_DAYS`, :data:`ID_CLASH_KM`) is quarantined, never written over it;
* an event that already merged the report (its key in the event's bookkeeping): unchanged or updated;
* a public id an analyst deleted or merged away: unchanged (a re-import does not re-create it);
* exactly one candidate event that the strict rule (:func:`events.dedup.compare`) merges with:
  merged into it, its sources added and the event regraded;
* otherwise a new event; candidates that look alike (or several that agree) go to review as
  duplicate candidates.

The changes are made to the :class:`events.ingest.state.BatchEvent` objects of the batch's
:class:`events.ingest.state.BatchState`; :mod:`events.ingest.write` stores them.
"""

from __future__ import annotations

import copy
from typing import Any

from events import dedup, grading
from events.ingest.candidates import CandidateFinder
from events.ingest.corrections import CorrectionTracker
from events.ingest.enrich import Prepared
from events.ingest.identity import GLOBAL_ID_ORIGINS
from events.ingest.report import IngestReport
from events.ingest.state import BatchEvent, BatchState
from events.publishers import Registry
from events.records import RejectedRecord, RowProblem, SourceRecord
from events.revisions import META_KEY, event_meta, peek_meta, regrade, revision_row, source_role, user_extra

# Columns written by the loader but not shown as changes in revisions.
_BOOKKEEPING = {"content_hash", "ingest_run_id", "updated_at", "created_at", "extra"}
#: A report found by its id (its report key) whose date is more than ID_CLASH_DAYS from the stored
#: event's *and* whose point is more than ID_CLASH_KM from it is not taken as an update: it is
#: quarantined for an analyst (a reused id, or a file of another dataset), never written over.
ID_CLASH_DAYS = 7
ID_CLASH_KM = 50.0


def id_clash(stored: dict[str, Any], item: Prepared) -> RejectedRecord | None:
    """The quarantine row of a report whose id matches ``stored`` but whose day and place both differ."""
    new = item.values
    days = abs((new["event_date"] - stored["event_date"]).days)
    km = dedup.distance_km(stored["latitude"], stored["longitude"], new["latitude"], new["longitude"])
    if days <= ID_CLASH_DAYS or km is None or km <= ID_CLASH_KM:
        return None
    reason = (
        f"id {new['external_id']!r} is that of event {stored['public_id']} of {stored['event_date']}, but this row "
        f"is dated {new['event_date']} ({days} days apart) and placed {km:.0f} km away: not overwritten. If it "
        "corrects the event, update the event (strikedb events update) and ingest again; if the file's ids are "
        "not those of the stored events, ingest it with its own --dataset"
    )
    problem = RowProblem(item.file, item.line_number, "event_id", new["external_id"], reason)
    return RejectedRecord(item.file, item.line_number, item.raw, [problem])


class Decider:
    """Applies the rules above to the reports of each batch; one instance per run.

    Parameters
    ----------
    finder : CandidateFinder
        The run's look-ups (candidate events, an event's sources, whole rows of light events).
    report : IngestReport
        Counts what each report did.
    run_id : int or None
        The run, recorded on new and changed events and on revisions.
    dedup_km : float
        Reports of the same date within this distance are one strike (see :mod:`events.dedup`).
    user : str, optional
        Recorded on revisions.
    registry : events.publishers.Registry, optional
        Grades the publishers (default: the bundled registry).
    """

    def __init__(
        self,
        finder: CandidateFinder,
        report: IngestReport,
        *,
        run_id: int | None,
        dedup_km: float,
        user: str | None,
        registry: Registry | None = None,
    ) -> None:
        self.finder = finder
        self.run_id = run_id
        self.dedup_km = dedup_km
        self.user = user
        self.report = report
        self.registry = registry
        #: What the run saw of id-less reports, for :func:`events.ingest.corrections.apply_corrections`.
        self.corrections = CorrectionTracker()

    def decide(self, state: BatchState, item: Prepared) -> None:
        """Decide what one report does: unchanged, update, merge into an event, or a new event."""
        report = self.report
        self.corrections.saw(item)
        ev = state.by_key.get(item.key)
        if ev is not None:
            if ev.values["content_hash"] == item.content_hash:
                report.unchanged += 1
            elif (clash := id_clash(ev.values, item)) is not None:
                state.rejected.append(clash)
            else:
                self._update_primary(ev, item)
                report.updated += 1
            return
        candidates = self.finder.candidates_for(state, item)
        for cand in candidates:
            known = self.finder.merged_report(cand.values, item)
            if known is not None:
                if known[1].get("hash") == item.content_hash:
                    report.unchanged += 1
                else:
                    if known[0] != item.key:  # a legacy key: the update files the report under its new key
                        self.finder.complete(cand)
                        event_meta(cand.values)["reports"].pop(known[0])
                    self._merge(cand, item, action="update")
                    report.updated += 1
                return
        if item.values["public_id"] in state.removed:
            report.unchanged += 1
            return
        agree, alike = self._compare_all(state, item, candidates)
        if len(agree) == 1:
            ev, _score, reasons = agree[0]
            self._merge(ev, item, action="merge", rule=reasons)
            report.merged += 1
            return
        ev = self._insert(state, item)
        report.inserted += 1
        self.corrections.stored_new(item)
        # Several events agree with the report: it joins none of them (the order of the reports must
        # not decide), and each pair goes to review.
        ambiguous = ["agrees with more than one event: not merged automatically"] if agree else []
        for other, score, reasons in [*agree, *alike]:
            state.proposals.append((ev.values, other.values, score, [*reasons, *ambiguous]))

    def _compare_all(
        self, state: BatchState, item: Prepared, candidates: list[BatchEvent]
    ) -> tuple[list[tuple[BatchEvent, float, list[str]]], list[tuple[BatchEvent, float, list[str]]]]:
        """Split the candidate events into those the strict rule merges with and those to review."""
        agree, alike = [], []
        urls = {s.url for s in item.sources if s.url}
        for cand in candidates:
            if self._same_dataset_distinct(item.values, cand.values):
                continue
            if frozenset((item.values["public_id"], cand.values["public_id"])) in state.distinct:
                continue
            if cand.is_new:
                shared = bool(urls & {s.url for s in cand.new_sources if s.url})
            else:
                shared = (id(item), cand.values["id"]) in state.shared_url
            ok, score, reasons = dedup.compare(item.values, cand.values, self.dedup_km, shared_url=shared)
            if ok:
                agree.append((cand, score, reasons))
            elif score >= dedup.MIN_CANDIDATE_SCORE:
                alike.append((cand, score, reasons))
        return agree, alike

    def _same_dataset_distinct(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        """Two records of one dataset (ACLED, UCDP, or a generic file's dataset) with different ids: never one event."""
        if a["origin"] != b["origin"] or not a["external_id"] or not b["external_id"]:
            return False
        if a["external_id"] == b["external_id"]:
            return False
        if a["origin"] in GLOBAL_ID_ORIGINS:
            return True
        # A report being loaded belongs to this run (its values get the run id only when inserted).
        a_run, b_run = a.get("ingest_run_id") or self.run_id, b.get("ingest_run_id") or self.run_id
        return self.finder.run_dataset(a_run) == self.finder.run_dataset(b_run)

    def _insert(self, state: BatchState, item: Prepared) -> BatchEvent:
        values = dict(item.values)
        values["content_hash"] = item.content_hash
        values["ingest_run_id"] = self.run_id
        ev = BatchEvent(values=values, is_new=True, new_sources=list(item.sources))
        ev.publishers = list(item.publishers)
        if len(item.publishers) == len(item.sources):  # one (url, publisher, role) per source, in order
            ev.roles = {id(source): role for source, (_, _, role) in zip(item.sources, item.publishers, strict=True)}
        if item.grade is not None:
            # Graded by the enricher from the same values and sources (events.revisions.new_event_grade).
            values.update(item.grade)
        else:
            regrade(ev.values, ev.publishers, self.registry)
        state.new.append(ev)
        state.by_key[item.key] = ev
        self.finder.index_new(state, ev)
        if values["link_evidence"] and values["link_evidence"].get("warning"):
            self.report.warnings.append(f"{item.where}: {values['link_evidence']['warning']}")
        return ev

    def _add_sources(self, ev: BatchEvent, sources: list[SourceRecord]) -> list[str]:
        """Queue the sources the event does not have yet; return their labels for the revision."""
        known = self.finder.publishers(ev)
        known_urls = {url for url, *_ in known if url}
        known_plain = {(None, publisher) for url, publisher, *_ in known if not url}
        added = []
        for source in sources:
            if source.url in known_urls or (not source.url and (None, source.publisher) in known_plain):
                continue
            ev.new_sources.append(source)
            role = ev.roles[id(source)] = source_role(source)
            known.append((source.url, source.publisher, role))
            if source.url:
                known_urls.add(source.url)
            added.append(source.url or source.publisher or source.title or "")
        return added

    def _update_primary(self, ev: BatchEvent, item: Prepared) -> None:
        self.finder.complete(ev)
        before = dict(ev.values)
        new = dict(item.values)
        meta = copy.deepcopy(peek_meta(ev.values))
        keep = ("id", "public_id", "created_at", "updated_at")
        for column in keep:
            if column in ev.values:
                new[column] = ev.values[column]
        if meta.get("reports"):
            # Reports merged into this event stay merged: keep what they contributed.
            new.update(dedup.merged_values(new, before))
        extra = dict(new.get("extra") or {})
        if meta:
            meta.pop("base_credibility", None)
            if grading.STATED_KEY in peek_meta(item.values):
                meta[grading.STATED_KEY] = peek_meta(item.values)[grading.STATED_KEY]
            extra[META_KEY] = meta
        new["extra"] = extra or None
        for merged in meta.get("reports", {}).values():
            cred = merged.get("credibility")
            new["info_credibility"] = dedup.best_credibility(new["info_credibility"], cred)
        new["content_hash"] = item.content_hash
        new["ingest_run_id"] = self.run_id
        ev.values.clear()
        ev.values.update(new)
        self._add_sources(ev, item.sources)
        regrade(ev.values, self.finder.publishers(ev), self.registry)
        self._revise(ev, before, "update", f"re-import of {item.where}")

    def _merge(self, ev: BatchEvent, item: Prepared, *, action: str, rule: list[str] | None = None) -> None:
        self.finder.complete(ev)
        before = copy.deepcopy(ev.values)
        changes = dedup.merged_values(ev.values, item.values)
        ev.values.update(changes)
        meta = event_meta(ev.values)
        base = meta["base_credibility"] if "base_credibility" in meta else ev.values["info_credibility"]
        meta["base_credibility"] = dedup.best_credibility(base, item.values["info_credibility"])
        meta.setdefault("reports", {})[item.key] = {
            "hash": item.content_hash,
            "urls": [s.url for s in item.sources if s.url],
            "credibility": item.values["info_credibility"],
            "public_id": item.values["public_id"],
            grading.STATED_KEY: peek_meta(item.values).get(grading.STATED_KEY, {}),
            "where": item.where,
        }
        if rule is not None:
            meta["reports"][item.key]["rule"] = rule
        added = self._add_sources(ev, item.sources)
        regrade(ev.values, self.finder.publishers(ev), self.registry)
        if ev.is_new and action == "merge":
            # Two reports of one import: the event is written once, with both; the reasons are kept
            # in its bookkeeping (``strikedb events show``). A first import writes no revision.
            return
        where = item.where
        reason = (
            f"report {where} merged (same strike: {'; '.join(rule or [])})"
            if action == "merge"
            else f"re-import of merged report {where}"
        )
        self._revise(ev, before, action, reason, extra_changes={"sources_added": added} if added else None)

    def _revise(
        self,
        ev: BatchEvent,
        before: dict[str, Any],
        action: str,
        reason: str,
        extra_changes: dict[str, Any] | None = None,
    ) -> None:
        changed = [c for c in ev.values if c not in _BOOKKEEPING and before.get(c) != ev.values[c]]
        previous = {c: before.get(c) for c in changed}
        changes = {c: ev.values[c] for c in changed}
        # Values kept in ``extra`` (an ACLED timestamp, unmapped columns) are data too: show them
        # as ``extra.<name>``; the loader's own bookkeeping under META_KEY is not.
        old_extra, new_extra = user_extra(before), user_extra(ev.values)
        for name in sorted(old_extra.keys() | new_extra.keys()):
            if old_extra.get(name) != new_extra.get(name):
                previous[f"extra.{name}"] = old_extra.get(name)
                changes[f"extra.{name}"] = new_extra.get(name)
        if extra_changes:
            changes.update(extra_changes)
        ev.revisions.append(
            revision_row(ev.values, action, previous, changes, user=self.user, run_id=self.run_id, reason=reason)
        )


__all__ = ["Decider"]
