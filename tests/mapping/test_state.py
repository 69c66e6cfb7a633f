"""The incremental state: staged changes become the state only at the commit, prepared early or not."""

from __future__ import annotations

from pathlib import Path

from connector.mapping.state import MappedRecord, RecordState


def _stage(state: RecordState, *ids: str) -> None:
    state.stage([(rid, f"hash-{rid}", MappedRecord(b"triples", 3, b"counts"), "t.csv", "row 1") for rid in ids])


def test_prepared_changes_count_only_once_committed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = RecordState(path, "trainings")
    _stage(state, "A", "B")
    state.prepare()
    assert sorted(rid for rid, _, _, _ in state.staged_sources()) == ["A", "B"]
    state.close()  # as a job failing (or killed) between the prepare and the commit
    state = RecordState(path, "trainings")
    assert state.known() == {} and state.published_triples() is None
    _stage(state, "A")
    state.prepare()
    state.commit(42)
    state.close()
    state = RecordState(path, "trainings")
    assert state.known() == {"A": ("hash-A", "t.csv", "row 1")} and state.published_triples() == 42


def test_commit_without_prepare_keeps_removals_and_moves(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = RecordState(path, "trainings")
    _stage(state, "A", "B")
    state.commit(10)
    state.close()
    state = RecordState(path, "trainings")
    state.remove(["A"])
    state.move("B", "u.csv", "row 7")
    assert [owned for _, owned, _ in state.new_records(with_triples=False)] == [3]
    state.commit(5)
    state.close()
    state = RecordState(path, "trainings")
    assert state.known() == {"B": ("hash-B", "u.csv", "row 7")} and state.published_triples() == 5
