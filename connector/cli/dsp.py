"""``skills-connector dsp``: this connector as a dataspace consumer (catalog, negotiate, transfer, query) and the
operator's view of its processes (list, terminate, complete, suspend, resume).

Callbacks from providers reach the running server of this connector (same home and public URL); the commands wait
for the state the server records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.table import Table

from connector.cli.common import EXIT_USAGE, core_context, fail
from connector.cli.progress import console
from connector.dsp import consumer
from connector.dsp.client import PeerError
from connector.dsp.service import Action, DspError, DspService
from connector.dsp.setup import build_service
from connector.dsp.states import Kind, TransitionError

app = typer.Typer(
    help="Dataspace Protocol 2025-1: act as consumer, manage negotiations and transfers.", no_args_is_help=True
)


@contextmanager
def _service() -> Iterator[DspService]:
    with core_context() as ctx:
        svc = build_service(ctx)
        try:
            yield svc
        except (DspError, PeerError, TransitionError, ValueError) as exc:
            raise fail(str(exc)) from None
        finally:
            svc.repo.close()


PROVIDER_ID = typer.Option(
    None, "--provider-id", help="The provider's participant id, if its version metadata has no serviceId."
)


def _provider(svc: DspService, url: str, provider_id: str | None) -> consumer.Provider:
    provider = consumer.discover(svc.client, url)
    if provider_id:
        return consumer.Provider(provider.base, provider_id)
    if not provider.id:
        raise fail(f"{url} does not say its participant id (serviceId); pass --provider-id", EXIT_USAGE)
    return provider


def _title(d: dict) -> str:
    titles = d.get("dct:title") or []
    titles = titles if isinstance(titles, list) else [titles]
    en = [t.get("@value") for t in titles if isinstance(t, dict) and t.get("@language") == "en"]
    return (en or [t.get("@value", t) if isinstance(t, dict) else t for t in titles] or [""])[0]


@app.command("catalog")
def catalog(
    url: str = typer.Argument(..., help="Provider connector URL (root or DSP base)."),
    as_json: bool = typer.Option(False, "--json", help="Print the catalog as JSON-LD."),
    provider_id: str | None = PROVIDER_ID,
) -> None:
    """Read a provider's catalog (all pages)."""
    with _service() as svc:
        provider = _provider(svc, url, provider_id)
        doc = consumer.catalog(svc.client, provider)
        if as_json:
            typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
            return
        table = Table("dataset", "title", "triples", "offers", title=f"{doc.get('participantId')} at {provider.base}")
        for d in doc.get("dataset", []):
            offers = "\n".join(o.get("@id", "") for o in d.get("hasPolicy", []))
            triples = d.get("http://rdfs.org/ns/void#triples", "")
            table.add_row(str(d.get("dct:identifier", d["@id"])), _title(d), str(triples), offers)
        console.print(table)


@app.command("negotiate")
def negotiate(
    url: str = typer.Argument(..., help="Provider connector URL."),
    dataset: str = typer.Argument(..., help="Dataset id (short id or IRI from the catalog)."),
    offer: str | None = typer.Option(None, "--offer", help="Offer id (default: the dataset's first offer)."),
    purpose: str | None = typer.Option(None, "--purpose", help="Declared purpose (e.g. research)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for the agreement."),
    provider_id: str | None = PROVIDER_ID,
) -> None:
    """Negotiate a contract for a dataset; prints the agreement id once FINALIZED."""
    with _service() as svc:
        provider = _provider(svc, url, provider_id)
        chosen = consumer.choose_offer(consumer.dataset(svc.client, provider, dataset), offer, purpose)
        p = svc.request_negotiation(provider.base, provider.id or "", chosen)
        console.print(f"negotiation {p.local_pid} requested", highlight=False)
        p = svc.wait(Kind.NEGOTIATION, p.local_pid, {"FINALIZED"}, timeout)
        if p.state != "FINALIZED":
            why = p.data.get("peer_reason") or p.data.get("error") or "no answer (is this connector's server running?)"
            raise fail(f"negotiation {p.local_pid} is {p.state}: {why}")
        typer.echo(f"agreement: {p.data['agreement']['@id']}")


@app.command("transfer")
def transfer(
    url: str = typer.Argument(..., help="Provider connector URL."),
    agreement: str = typer.Argument(..., help="Agreement id from `dsp negotiate`."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for the start."),
    provider_id: str | None = PROVIDER_ID,
) -> None:
    """Start an HTTP pull transfer; prints the transfer id once STARTED."""
    with _service() as svc:
        provider = _provider(svc, url, provider_id)
        p = svc.request_transfer(provider.base, provider.id or "", agreement)
        p = svc.wait(Kind.TRANSFER, p.local_pid, {"STARTED"}, timeout)
        if p.state != "STARTED":
            why = p.data.get("peer_reason") or p.data.get("error") or "no answer (is this connector's server running?)"
            raise fail(f"transfer {p.local_pid} is {p.state}: {why}")
        address = p.data.get("data_address", {})
        typer.echo(f"transfer: {p.local_pid}")
        console.print(f"endpoint: {address.get('endpoint')} (token stored; use `dsp query`)", highlight=False)


@app.command("query")
def query(
    url: str = typer.Argument(..., help="Provider connector URL."),
    transfer_id: str = typer.Argument(..., help="Transfer id from `dsp transfer`."),
    sparql: str = typer.Argument(..., help="SPARQL SELECT or ASK query."),
) -> None:
    """Query the provider's SPARQL endpoint with a started transfer's token; prints the JSON results."""
    with _service() as svc:
        p = svc.repo.get(Kind.TRANSFER, transfer_id)
        if p is None:
            raise fail(f"no transfer {transfer_id} here", EXIT_USAGE)
        if not p.counterparty_address.startswith(url.rstrip("/")):
            raise fail(f"transfer {transfer_id} is with {p.counterparty_address}, not {url}", EXIT_USAGE)
        r = consumer.query(p, sparql)
        if r.status_code != 200:
            detail = r.json().get("detail", r.text) if "json" in r.headers.get("content-type", "") else r.text[:300]
            raise fail(f"HTTP {r.status_code}: {detail}")
        typer.echo(r.text)


@app.command("processes")
def processes(
    limit: int = typer.Option(50, help="How many of each kind."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List this connector's negotiations and transfers, newest first."""
    with _service() as svc:
        if as_json:
            for kind in Kind:
                for p in svc.repo.recent(kind, limit):
                    row = {"kind": kind.value, "role": p.role.value, "state": p.state, "pid": p.local_pid,
                           "peer_pid": p.remote_pid, "peer": p.counterparty_id, "dataset": p.data.get("dataset"),
                           "agreement": p.data.get("agreement")}  # fmt: skip
                    typer.echo(json.dumps(row))
            return
        table = Table("kind", "role", "state", "local pid", "peer pid", "peer", "dataset / agreement")
        for kind in Kind:
            for p in svc.repo.recent(kind, limit):
                about = p.data.get("dataset") if kind is Kind.NEGOTIATION else p.data.get("agreement")
                table.add_row(
                    kind.value, p.role.value, p.state, p.local_pid, p.remote_pid or "", p.counterparty_id, str(about)
                )
        console.print(table)


def _act(pid: str, action: Action, reason: str | None) -> None:
    with _service() as svc:
        p = svc.repo.get(Kind.TRANSFER, pid) or svc.repo.get(Kind.NEGOTIATION, pid)
        if p is None:
            raise fail(f"no negotiation or transfer {pid} here", EXIT_USAGE)
        p = svc.act(p, action, reason)
        svc.react(p.kind, p.local_pid)
        typer.echo(f"{p.kind.value} {p.local_pid}: {p.state}")


@app.command("terminate")
def terminate(
    pid: str = typer.Argument(..., help="Local pid (see `dsp processes`)."),
    reason: str | None = typer.Option(None, "--reason", help="Reason sent to the peer."),
) -> None:
    """Terminate a negotiation or transfer (a transfer's token stops working at once)."""
    _act(pid, Action.TERMINATE, reason)


@app.command("suspend")
def suspend(pid: str = typer.Argument(...), reason: str | None = typer.Option(None, "--reason")) -> None:
    """Suspend a started transfer (its token is refused until it is resumed)."""
    _act(pid, Action.SUSPEND, reason)


@app.command("resume")
def resume(pid: str = typer.Argument(...)) -> None:
    """Resume a suspended transfer."""
    _act(pid, Action.START, None)


@app.command("complete")
def complete(pid: str = typer.Argument(...)) -> None:
    """Complete a started transfer (its token ends)."""
    _act(pid, Action.COMPLETE, None)
