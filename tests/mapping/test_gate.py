"""The publish gate's SHACL engine (shacl-rust) agrees with pyshacl on the profiles and catches GEN rule breaks."""

from __future__ import annotations

import subprocess
import sys
import zlib
from dataclasses import replace

import pyoxigraph as ox
import pytest

from connector.context import Context
from connector.mapping import gate
from connector.mapping.batch import map_batch
from connector.mapping.fields import fold
from connector.mapping.rdf_training import training_triples
from connector.mapping.terms import Profile
from connector.mapping.trainings import _HEADER_KEYS, training_from_raw
from connector.mapping.vocabulary import load_vocabulary
from connector.validation import validate
from tests.mapping.conftest import BASE, HEADER, row

ELM = "http://data.europa.eu/snb/model/elm/"


def _training(ctx: Context, rid: str) -> list[ox.Triple]:
    raw = {_HEADER_KEYS[fold(h)]: v for h, v in zip(HEADER.split(";"), row(rid).split(";"), strict=True)}
    lines = training_triples(training_from_raw(raw, 10_000), Profile(ctx.minted), load_vocabulary(ctx))
    return list(ox.parse(lines.text(), format=ox.RdfFormat.N_TRIPLES))


def _replace(triples: list[ox.Triple], predicate: str, value: ox.Literal | ox.NamedNode, subject_end: str) -> list:
    return [
        ox.Triple(t.subject, t.predicate, value)
        if t.predicate.value == predicate and t.subject.value.endswith(subject_end)
        else t
        for t in triples
    ]


@pytest.fixture
def batch(mctx: Context) -> bytes:
    good = _training(mctx, "G")
    lat = _replace(_training(mctx, "LAT"), "http://data.europa.eu/m8g/latitude", ox.Literal("123.5"), "#geometry")
    end = _replace(
        _training(mctx, "END"),
        ELM + "endDate",
        ox.Literal("2020-01-01T00:00:00", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")),
        "#session-1-period",
    )
    rome = _replace(
        _training(mctx, "ROME"), ELM + "limitNationalOccupation", ox.NamedNode(f"{BASE}rome/fiche/M1999"), ""
    )
    title = _replace(
        _training(mctx, "EN"), "http://purl.org/dc/terms/title", ox.Literal("Web developer", language="en"), "EN"
    )
    triples = good + lat + end + rome + title
    return _with_context(mctx, triples)


def _with_context(ctx: Context, triples: list[ox.Triple]) -> bytes:
    """The triples as N-Triples plus what the vocabularies say about the concepts they reference."""
    refs = {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
    context = load_vocabulary(ctx).context_triples(refs).encode()
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) + context


def _records(focuses: set[str]) -> set[str]:
    return {f.split("#")[0].rsplit("/", 1)[-1] for f in focuses}


def test_gate_catches_each_break_and_agrees_with_pyshacl(batch: bytes) -> None:
    violations = gate.validate_batch(batch, "gen-training")
    assert _records({v.focus for v in violations}) == {"LAT", "END", "ROME", "EN"}
    messages = {v.message for v in violations}
    assert "Latitude out of range (-90..90)." in messages
    assert "A session must start before it ends." in messages
    assert "This ROME concept is not in the loaded ROME 4.0 vocabulary." in messages
    assert "A training needs a title, in French." in messages

    # the project's validation service (reference pyshacl engine) finds the same violations
    report = validate(batch, "gen-training", media_type="application/n-triples", engine="reference")
    reference = {(r.focus_node, r.path) for r in report.results if r.severity == "Violation"}
    assert {(v.focus, v.path) for v in violations} == reference


def test_gate_ignores_warnings_and_infos(mctx: Context) -> None:
    triples = [t for t in _training(mctx, "W") if t.predicate.value != ELM + "hasPart"]  # no session: a Warning
    assert gate.validate_batch(_with_context(mctx, triples), "gen-training") == []


def test_batch_traces_each_violation_to_its_record(mctx: Context) -> None:
    """A batch maps, validates and compresses its records; a violation rejects only the record it belongs to."""
    raw = {_HEADER_KEYS[fold(h)]: v for h, v in zip(HEADER.split(";"), row("OK").split(";"), strict=True)}
    good = training_from_raw(raw, 10_000)
    bad = replace(good, id="FAR", latitude=123.5)  # past the reader's range check: only the gate can catch it
    result = map_batch([good, bad], "gen-training", load_vocabulary(mctx))
    assert set(result.problems) == {"FAR"} and set(result.mapped) == {"OK"}
    assert any("Latitude out of range" in p.reason for p in result.problems["FAR"])
    published = list(ox.parse(zlib.decompress(result.mapped["OK"].triples), format=ox.RdfFormat.N_TRIPLES))
    assert ox.NamedNode(f"{BASE}gen/training/OK") in {t.subject for t in published}


def test_violation_on_a_shared_node_rejects_every_record_mentioning_it(mctx: Context) -> None:
    """The batch hands each shared triple to the gate once; a violation about a shared node (an organisation's SIRET)
    still rejects every record of the batch that describes it, and only those."""
    raw = {_HEADER_KEYS[fold(h)]: v for h, v in zip(HEADER.split(";"), row("OK").split(";"), strict=True)}
    good = training_from_raw(raw, 10_000)
    bad = [replace(good, id=rid, provider_siret="12345") for rid in ("A", "B")]  # past the reader's SIRET check
    result = map_batch([bad[0], good, bad[1]], "gen-training", load_vocabulary(mctx))
    assert set(result.problems) == {"A", "B"} and set(result.mapped) == {"OK"}
    assert all(p.reason == "SHACL: A SIRET has 14 digits." for rid in ("A", "B") for p in result.problems[rid])


def test_batch_keeps_the_records_own_triples_first(mctx: Context) -> None:
    """What the state keeps of a record: all its triples, each once, its own ones (about its IRI and
    ``<its IRI>#...``) in the first ``owned_bytes``."""
    raw = {_HEADER_KEYS[fold(h)]: v for h, v in zip(HEADER.split(";"), row("OK").split(";"), strict=True)}
    training = training_from_raw(raw, 10_000)
    vocab = load_vocabulary(mctx)
    kept = map_batch([training], "gen-training", vocab).mapped["OK"]
    text = zlib.decompress(kept.triples)
    own, other = (
        list(ox.parse(part, format=ox.RdfFormat.N_TRIPLES))
        for part in (text[: kept.owned_bytes], text[kept.owned_bytes :])
    )
    iri = f"{BASE}gen/training/OK"
    assert own and all(t.subject.value == iri or t.subject.value.startswith(iri + "#") for t in own)
    assert other and not any(t.subject.value.startswith(iri) for t in other)
    expected = set(
        ox.parse(training_triples(training, Profile(mctx.minted), vocab).text(), format=ox.RdfFormat.N_TRIPLES)
    )
    assert len(own) + len(other) == len(expected) and set(own) | set(other) == expected


def test_workers_inherit_the_shapes_read_once_by_their_forkserver() -> None:
    """A job's workers fork from a server that read every mapping profile's shapes before forking them (in a fresh
    interpreter: this one's forkserver may already run with another preload)."""
    code = """
from concurrent.futures import ProcessPoolExecutor
from connector.mapping.job import _warm_forkserver
from tests.mapping.test_gate import read_profiles
with ProcessPoolExecutor(1, mp_context=_warm_forkserver()) as pool:
    print(pool.submit(read_profiles).result())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["gen-job-sheet", "gen-training"]


def read_profiles() -> str:
    """In a worker: the profiles whose shapes graph it already holds, without having validated anything."""
    from connector.validation.engine import default_registry

    return " ".join(sorted(default_registry()._graphs))
