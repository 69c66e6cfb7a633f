"""SHACL profiles: the ``shapes/<name>.ttl`` files, their headers, imports and pre-flight checks.

Each profile file has an ``owl:Ontology`` header (IRI ``<base>shapes/<name>``, ``owl:versionInfo``, ``dct:title``,
``dct:description``, ``owl:imports`` of other profiles, optionally ``dct:requires <base>dataset/<id>`` for the
vocabulary datasets its "referenced concept exists" checks look into). Shapes graphs are parsed once and checked
before use, so an ill-formed shape fails with a message that names it instead of failing mid-validation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
from pyshacl.errors import ConstraintLoadError, ConstraintLoadWarning, ReportableRuntimeError
from pyshacl.shapes_graph import ShapesGraph
from rdflib import DCTERMS, OWL, RDF, Graph, URIRef

from connector.validation.errors import ShapesError, UnknownProfile

DEFAULT_SHAPES_DIR = Path(__file__).resolve().parents[2] / "shapes"


@dataclass(frozen=True)
class Profile:
    """A profile as listed to users."""

    name: str
    iri: str
    version: str
    title: dict[str, str]
    description: dict[str, str]
    imports: tuple[str, ...]
    """Names of the profiles this one imports (transitively resolved when the shapes graph is built)."""
    requires: tuple[str, ...]
    """Dataset ids whose graphs are consulted as vocabularies (e.g. ``rome``, ``esco``)."""
    path: Path


class ProfileRegistry:
    """The profiles of a shapes folder. Thread-safe; shapes graphs are cached until their files change."""

    def __init__(self, shapes_dir: Path | None = None) -> None:
        self.shapes_dir = shapes_dir or DEFAULT_SHAPES_DIR
        self._lock = threading.Lock()
        self._profiles: dict[str, Profile] | None = None
        self._broken: dict[str, str] = {}
        self._stamp: tuple = ()
        self._graphs: dict[str, tuple[tuple, Graph]] = {}

    # -- listing -------------------------------------------------------------------------------------------------
    def _files_stamp(self) -> tuple:
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in self.shapes_dir.glob("*.ttl")))

    def _scan(self) -> dict[str, Profile]:
        """Profiles by name; a file with a broken header or import is set aside with its error, the others load."""
        stamp = self._files_stamp()
        if self._profiles is not None and stamp == self._stamp:
            return self._profiles
        headers, broken = {}, {}
        for path in sorted(self.shapes_dir.glob("*.ttl")):
            try:
                headers[path.stem] = _read_header(path)
            except ShapesError as exc:
                broken[path.stem] = str(exc)
        by_iri = {h["iri"]: name for name, h in headers.items()}
        profiles = {}
        for name, h in headers.items():
            unknown = [i for i in h["imports"] if i not in by_iri]
            if unknown:
                broken[name] = (
                    f"{h['path'].name}: owl:imports of unknown profile(s) {', '.join(unknown)} "
                    "(profiles are imported by their header IRI <.../shapes/<name>>)"
                )
                continue
            profiles[name] = Profile(
                name=name,
                iri=h["iri"],
                version=h["version"],
                title=h["title"],
                description=h["description"],
                imports=tuple(by_iri[i] for i in h["imports"]),
                requires=h["requires"],
                path=h["path"],
            )
        self._profiles, self._broken, self._stamp, self._graphs = profiles, broken, stamp, {}
        return profiles

    def list(self) -> list[Profile]:
        """The usable profiles (see :meth:`broken` for those that are not)."""
        with self._lock:
            return list(self._scan().values())

    def broken(self) -> dict[str, str]:
        """Profiles that cannot be used, with the reason."""
        with self._lock:
            self._scan()
            return dict(self._broken)

    def get(self, name: str) -> Profile:
        with self._lock:
            profiles = self._scan()
            if name in self._broken:
                raise ShapesError(self._broken[name])
            if name not in profiles:
                raise UnknownProfile(name, sorted(profiles))
            return profiles[name]

    # -- shapes graphs -------------------------------------------------------------------------------------------
    def closure(self, name: str) -> list[Profile]:
        """The profile and everything it imports, each once, imports first."""
        order: list[Profile] = []

        def visit(n: str, stack: tuple[str, ...]) -> None:
            if n in stack:
                raise ShapesError(f"import cycle between profiles: {' -> '.join((*stack, n))}")
            profile = self.get(n)
            for imported in profile.imports:
                visit(imported, (*stack, n))
            if profile not in order:
                order.append(profile)

        visit(name, ())
        return order

    def requires(self, name: str) -> list[str]:
        """Vocabulary datasets needed by the profile or anything it imports."""
        return sorted({d for p in self.closure(name) for d in p.requires})

    def shapes_graph(self, name: str) -> Graph:
        """The checked shapes graph of a profile with its imports merged in (cached)."""
        closure = self.closure(name)
        stamp = tuple((p.path.name, p.path.stat().st_mtime_ns) for p in closure)
        with self._lock:
            cached = self._graphs.get(name)
            if cached and cached[0] == stamp:
                return cached[1]
        graph = load_shapes([p.path for p in closure])
        with self._lock:
            self._graphs[name] = (stamp, graph)
        return graph


def _read_header(path: Path) -> dict:
    graph = _parse_shapes_file(path)
    headers = [s for s in graph.subjects(RDF.type, OWL.Ontology) if "/shapes/" in str(s)]
    if len(headers) != 1:
        raise ShapesError(f"{path.name}: expected one owl:Ontology header with a <...shapes/{path.stem}> IRI")
    iri = headers[0]
    version = graph.value(iri, OWL.versionInfo)
    if version is None:
        raise ShapesError(f"{path.name}: the header <{iri}> has no owl:versionInfo")
    return {
        "iri": str(iri),
        "path": path,
        "version": str(version),
        "title": {o.language or "": str(o) for o in graph.objects(iri, DCTERMS.title)},
        "description": {o.language or "": str(o) for o in graph.objects(iri, DCTERMS.description)},
        "imports": [str(o) for o in graph.objects(iri, OWL.imports)],
        "requires": tuple(sorted(str(o).rstrip("/").rsplit("/", 1)[-1] for o in graph.objects(iri, DCTERMS.requires))),
    }


def _parse_shapes_file(path: Path) -> Graph:
    try:
        return Graph().parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for syntax errors
        raise ShapesError(f"{path.name}: not valid Turtle: {exc}") from None


def load_shapes(paths: list[Path] | list[Graph]) -> Graph:
    """Merge shapes files (or graphs) into one checked shapes graph."""
    graph = Graph()
    for source in paths:
        part = source if isinstance(source, Graph) else _parse_shapes_file(source)
        for prefix, ns in part.namespaces():
            graph.bind(prefix, ns, override=False)
        graph += part
    check_shapes(graph)
    return graph


def check_shapes(graph: Graph) -> None:
    """Build every constraint of every shape once, so that an ill-formed one is reported by name up front."""
    try:
        shapes = ShapesGraph(graph).shapes
        for shape in shapes:
            for param in {p for p, _ in graph.predicate_objects(shape.node) if p in CONSTRAINT_PARAMETERS_MAP}:
                try:
                    CONSTRAINT_PARAMETERS_MAP[param](shape)
                except ConstraintLoadWarning:
                    continue  # pyshacl ignores these constraints too (e.g. qualified counts on a node shape)
                except ConstraintLoadError as exc:
                    raise ShapesError(f"ill-formed shape {_shape_name(graph, shape.node)}: {exc.message}") from None
    except ReportableRuntimeError as exc:
        raise ShapesError(f"ill-formed shapes graph: {exc.message}") from None


def _shape_name(graph: Graph, node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    parent = graph.value(None, URIRef("http://www.w3.org/ns/shacl#property"), node)
    path = graph.value(node, URIRef("http://www.w3.org/ns/shacl#path"))
    where = f" (property shape of <{parent}>" + (f", path <{path}>)" if path is not None else ")")
    return f"_:{node}{where if parent is not None else ''}"
