"""SPARQL endpoint speed, side by side with a plain ``oxigraph serve`` and an rdflib-endpoint server.

All three serve the same ESCO/ROME-like data (about 100,000 triples) on 127.0.0.1 and get the same fixed query
mix over the SPARQL 1.1 Protocol (GET, JSON results) from 1, 8 and 32 concurrent clients. Then, on the connector,
a runaway cross join runs while one client measures small queries again.

Targets (issue 6): connector p50 within 1.5x of Oxigraph server; >= 10x faster than rdflib-endpoint on the
filtered and join queries; p50 of small queries during a runaway query within 2x of normal.
Also recorded: the load average at start and end, and the single-client p50 of requests that do almost no query
work (``/health/live``, ``ASK {}`` on both servers), i.e. what each server adds per request.
rdflib-endpoint is measured with one client only: it evaluates one query at a time for seconds, so 8 or 32
clients only measure its queue. Run: ``.venv/bin/python -m bench sparql`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.servers import free_port, running
from tests.servers import oxigraph_server as served_oxigraph

RESULTS = Path(__file__).parent / "results" / "sparql.json"
ESCO = "http://data.europa.eu/esco/"
PREFIXES = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX esco: <http://data.europa.eu/esco/model#> "
QUERIES = {
    "lookup": PREFIXES + 'SELECT ?c WHERE { ?c skos:prefLabel "data repair analyst 17"@en }',
    "twohop": PREFIXES + f"SELECT ?s ?l WHERE {{ <{ESCO}occupation/o17> esco:relatedEssentialSkill ?s . "
    '?s skos:prefLabel ?l FILTER(LANG(?l) = "en") }',
    "filtered": PREFIXES + "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l "
    'FILTER(LANG(?l) = "en" && REGEX(?l, "^network security", "i")) }',
    "join": PREFIXES + "SELECT ?o ?s ?l WHERE { ?o a esco:Occupation ; skos:prefLabel ?ol ; "
    "esco:relatedEssentialSkill ?s . ?s skos:prefLabel ?l "
    'FILTER(LANG(?l) = "en" && STRSTARTS(?ol, "data network")) }',
    "related": PREFIXES + f"SELECT ?other (COUNT(?s) AS ?shared) WHERE {{ <{ESCO}occupation/o17> "
    "esco:relatedEssentialSkill ?s . ?other esco:relatedEssentialSkill ?s . "
    f"FILTER(?other != <{ESCO}occupation/o17>) }} GROUP BY ?other ORDER BY DESC(?shared) ?other LIMIT 10",
    "aggregate": PREFIXES + "SELECT ?type (COUNT(?c) AS ?n) WHERE { ?c a ?type } GROUP BY ?type",
    "ask": PREFIXES + "ASK { ?o a esco:Occupation }",
}
SMALL = ("lookup", "twohop", "ask")
ACCEPT = {"Accept": "application/sparql-results+json"}
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
WORDS = [
    "data",
    "network",
    "cloud",
    "web",
    "software",
    "security",
    "repair",
    "design",
    "test",
    "support",
    "mobile",
    "system",
    "database",
    "user",
]


def generate(path: Path, occupations: int = 1800, skills: int = 7200) -> int:
    """ESCO-like SKOS: occupations with labels and 8 essential skills each; skills with en/fr labels."""
    rng = random.Random(7)
    lines = []
    skos, model = "http://www.w3.org/2004/02/skos/core#", "http://data.europa.eu/esco/model#"
    a = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    for i in range(skills):
        s = f"<{ESCO}skill/s{i}>"
        w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
        lines += [
            f"{s} {a} <{model}Skill> .",
            f"{s} {a} <{skos}Concept> .",
            f'{s} <{skos}prefLabel> "{w1} {w2} skill {i}"@en .',
            f'{s} <{skos}prefLabel> "compétence {w1} {i}"@fr .',
            f'{s} <{skos}altLabel> "{w2} {w1} {i}"@en .',
        ]
    for i in range(occupations):
        o = f"<{ESCO}occupation/o{i}>"
        w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
        lines += [
            f"{o} {a} <{model}Occupation> .",
            f"{o} {a} <{skos}Concept> .",
            f'{o} <{skos}prefLabel> "{w1} {w2} analyst {i}"@en .',
            f'{o} <{skos}prefLabel> "analyste {w1} {i}"@fr .',
            f'{o} <{skos}notation> "{1000 + i}.{i % 9}" .',
        ]
        lines += [f"{o} <{model}relatedEssentialSkill> <{ESCO}skill/s{rng.randrange(skills)}> ." for _ in range(8)]
    lines.append(f'<{ESCO}occupation/o17> <{skos}prefLabel> "data repair analyst 17"@en .')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


@contextmanager
def connector_server(data: Path, work: Path):  # type: ignore[no-untyped-def]
    from connector.config import load_settings
    from connector.context import Context

    home = work / "connector"
    ctx = Context(load_settings(home=home))
    ctx.store.replace_graph(ctx.datasets.get("esco").graph, data, "application/n-triples")
    ctx.close()
    port = free_port()
    env = {
        "CONNECTOR_HOME": str(home),
        "CONNECTOR_PORT": str(port),
        "CONNECTOR_QUERY_TIMEOUT_S": "30",
        "CONNECTOR_LOG_LEVEL": "WARNING",
        # one load generator on one IP: per-client rate limits would measure the limiter, not the query path
        "CONNECTOR_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
    }
    base = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "connector", "serve"], f"{base}/health/live", env=env):
        yield f"{base}/sparql"


@contextmanager
def oxigraph_server(data: Path, work: Path):  # type: ignore[no-untyped-def]
    with served_oxigraph(work / "ox") as server:
        httpx.post(
            f"{server.graph_url}?default",
            content=data.read_bytes(),
            headers={"Content-Type": "application/n-triples"},
            timeout=120,
        ).raise_for_status()
        yield server.query_url


@contextmanager
def rdflib_server(data: Path, work: Path):  # type: ignore[no-untyped-def]
    binary = Path(sys.executable).parent / "rdflib-endpoint"
    if not binary.exists():
        raise RuntimeError("rdflib-endpoint is missing: pip install -e '.[bench]'")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    with running(
        [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), str(data)], f"{base}?query=ASK%7B%7D"
    ):
        yield base


async def _measure(url: str, clients: int, rounds: int, names: tuple[str, ...]) -> dict:
    """Each client runs the mix ``rounds`` times; returns per-query latencies (ms) and overall throughput."""
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        for name in names:  # warm-up
            (await http.get(url, params={"query": QUERIES[name]}, headers=ACCEPT)).raise_for_status()

        async def client(seed: int) -> None:
            order = list(names)
            random.Random(seed).shuffle(order)
            for _ in range(rounds):
                for name in order:
                    started = time.perf_counter()
                    try:
                        response = await http.get(url, params={"query": QUERIES[name]}, headers=ACCEPT)
                    except httpx.TransportError as exc:
                        errors.append(f"{name}: {type(exc).__name__}")
                        continue
                    if response.status_code != 200:
                        errors.append(f"{name}: {response.status_code}")
                        continue
                    latencies[name].append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    every = [x for values in latencies.values() for x in values]
    return {
        "clients": clients,
        "throughput_rps": len(every) / elapsed,
        "p50_ms": round(statistics.median(every), 2),
        "latencies": latencies,
        "errors": errors,
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def _small_queries(url: str, seconds: float, runaway: bool) -> dict:
    """Latencies of the small queries from one client for ``seconds``, optionally while a runaway cross join
    occupies the server."""
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=120) as http:
        task = asyncio.create_task(http.get(url, params={"query": RUNAWAY})) if runaway else None
        if task is not None:
            await asyncio.sleep(1.5)  # past the point where the endpoint lowers a long query's priority
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (task is None or not task.done()):
            for name in SMALL:
                started = time.perf_counter()
                (await http.get(url, params={"query": QUERIES[name]}, headers=ACCEPT)).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
        result: dict = {"requests": len(latencies), "latencies": latencies}
        if task is not None:
            result["runaway_was_running"] = not task.done()
            result["runaway_status"] = (await task).status_code
    return result


async def _runaway_effect(url: str) -> dict:
    """Small-query p50 before, during and after a runaway query (baseline = before and after pooled)."""
    before = await _small_queries(url, 2.0, runaway=False)
    during = await _small_queries(url, 3.0, runaway=True)
    after = await _small_queries(url, 2.0, runaway=False)
    baseline = statistics.median(before["latencies"] + after["latencies"])
    return {
        "baseline_p50_ms": round(baseline, 2),
        "during_p50_ms": round(statistics.median(during["latencies"]), 2),
        "requests_during": during["requests"],
        "runaway_was_running": during["runaway_was_running"],
        "runaway_status": during["runaway_status"],
    }


def _new_lookup(i: int) -> dict[str, str]:
    """``lookup`` with a label never asked before: the connector answers it in a worker process, not as a repeat."""
    return {"query": PREFIXES + f'SELECT ?c WHERE {{ ?c skos:prefLabel "data repair analyst {i}"@en }}'}


async def _fixed_costs(ours: str, ox: str, rounds: int = 300) -> dict:
    """Single-client p50 (ms) of requests that do (almost) no query work: what each server adds per request; and of
    lookups whose text is new each time (first runs, which the connector never answers in its own process)."""
    probes = {
        "connector /health/live": (ours.rsplit("/", 1)[0] + "/health/live", lambda i: None),
        "connector ASK {}": (ours, lambda i: {"query": "ASK {}"}),
        "oxigraph ASK {}": (ox, lambda i: {"query": "ASK {}"}),
        "connector new lookup": (ours, _new_lookup),
        "oxigraph new lookup": (ox, _new_lookup),
    }
    latencies: dict[str, list[float]] = {name: [] for name in probes}
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(rounds):  # interleaved, so that load from other processes affects all alike
            for name, (url, params) in probes.items():
                started = time.perf_counter()
                (await http.get(url, params=params(i), headers=ACCEPT)).raise_for_status()
                latencies[name].append((time.perf_counter() - started) * 1000)
    return {name: round(statistics.median(values[20:]), 3) for name, values in latencies.items()}


def main() -> bool:
    work = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    try:
        data = work / "data.nt"
        triples = generate(data)
        print(f"data: {triples:,} triples; servers measured in interleaved blocks (the machine may be shared)")
        load_at_start = os.getloadavg()
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in load_at_start)}", flush=True)
        results: dict = {"triples": triples, "queries": QUERIES, "servers": {}}
        with connector_server(data, work) as ours, oxigraph_server(data, work) as ox, rdflib_server(data, work) as rd:
            urls = {"connector": ours, "oxigraph": ox, "rdflib": rd}
            runs: dict[str, list[dict]] = {name: [] for name in urls}
            for clients in (1, 8, 32):
                rounds = {"connector": max(2, 48 // clients), "oxigraph": max(2, 48 // clients), "rdflib": 1}
                blocks: dict[str, list[dict]] = {name: [] for name in urls}
                for block in range(4):
                    for name, url in urls.items():
                        # rdflib-endpoint takes seconds per heavy query and serves one at a time: measured with
                        # one client only (two blocks), where the speed targets are defined.
                        if name == "rdflib" and (clients > 1 or block >= 2):
                            continue
                        blocks[name].append(asyncio.run(_measure(url, clients, rounds[name], tuple(QUERIES))))
                for name in urls:
                    if not blocks[name]:
                        continue
                    run = _merge(blocks[name], clients)
                    runs[name].append(run)
                    print(
                        f"{name:<10} c={clients:<3} p50 {run['p50_ms']:>8.2f} ms  p95 {run['p95_ms']:>8.2f} ms  "
                        f"{run['throughput_rps']:>7.1f} req/s  errors {len(run['errors'])}  "
                        + " ".join(f"{n}={q['p50_ms']:.2f}" for n, q in run["per_query"].items()),
                        flush=True,
                    )
            for name in urls:
                results["servers"][name] = {"runs": runs[name]}
            fixed = asyncio.run(_fixed_costs(ours, ox))
            results["fixed_costs_p50_ms"] = fixed
            print("fixed costs, 1 client, p50: " + ", ".join(f"{k} {v:.2f} ms" for k, v in fixed.items()), flush=True)
            effect = asyncio.run(_runaway_effect(ours))
            results["servers"]["connector"]["runaway"] = effect
            print(
                f"connector small queries p50 {effect['baseline_p50_ms']:.2f} ms; during a runaway query "
                f"{effect['during_p50_ms']:.2f} ms (runaway answered {effect['runaway_status']})",
                flush=True,
            )
        results["load_average"] = {"at_start": load_at_start, "at_end": os.getloadavg()}
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in results['load_average']['at_end'])}")
        results["targets"] = _targets(results)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2))
        for name, target in results["targets"].items():
            print(f"target {name}: {'met' if target['met'] else 'MISSED'} ({target['value']})")
        return all(t["met"] for t in results["targets"].values())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _merge(blocks: list[dict], clients: int) -> dict:
    """One figure set from several measurement blocks (latencies pooled, throughput averaged)."""
    every = [x for b in blocks for v in b["latencies"].values() for x in v]
    per_query = {n: [x for b in blocks for x in b["latencies"][n]] for n in blocks[0]["latencies"]}
    return {
        "clients": clients,
        "requests": len(every),
        "throughput_rps": round(statistics.mean(b["throughput_rps"] for b in blocks), 1),
        "errors": [e for b in blocks for e in b["errors"]],
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(_p95(every), 2),
        "per_query": {
            n: {"p50_ms": round(statistics.median(v), 2), "p95_ms": round(_p95(v), 2)} for n, v in per_query.items()
        },
    }


def _targets(results: dict) -> dict:
    servers = results["servers"]
    ours, ox, rd = (servers[s]["runs"] for s in ("connector", "oxigraph", "rdflib"))
    targets = {}
    for i, clients in enumerate((1, 8, 32)):
        ratio = ours[i]["p50_ms"] / ox[i]["p50_ms"]
        targets[f"p50_vs_oxigraph_c{clients}"] = {"value": f"{ratio:.2f}x (<= 1.5x)", "met": ratio <= 1.5}
    for name in ("filtered", "join"):
        speedup = rd[0]["per_query"][name]["p50_ms"] / ours[0]["per_query"][name]["p50_ms"]
        targets[f"{name}_vs_rdflib"] = {"value": f"{speedup:.1f}x faster (>= 10x)", "met": speedup >= 10}
    effect = servers["connector"]["runaway"]
    runaway = effect["during_p50_ms"] / effect["baseline_p50_ms"]
    targets["small_queries_during_runaway"] = {"value": f"{runaway:.2f}x normal (<= 2x)", "met": runaway <= 2}
    return targets
