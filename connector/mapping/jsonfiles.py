"""Streaming JSON input: an array, an object holding one array, or JSON Lines, read with ijson (constant memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from connector.mapping.records import FileRejected
from connector.mapping.textfiles import check_size


def _plain(value: Any) -> Any:
    """ijson gives Decimal numbers; records use floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def iter_objects(path: Path, max_bytes: int, list_key: str) -> Iterator[tuple[str, Any]]:
    """Yield (JSONPath or "line N", item) for each item of the top-level array (or ``{list_key: [...]}``)."""
    if check_size(path, max_bytes) == 0:
        raise FileRejected("empty file")
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FileRejected("empty file")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from _json_lines(path)
        return
    if head[:1] == b"{" and f'"{list_key}"'.encode() not in _first_kib(path):
        # a single object: one record per file
        yield "$", _load_small(path)
        return
    prefix, shown = ("item", "$") if head[:1] == b"[" else (f"{list_key}.item", f"$.{list_key}")
    with path.open("rb") as fh:
        if fh.read(3) != b"\xef\xbb\xbf":
            fh.seek(0)
        index = 0
        try:
            for item in _items(fh, prefix):
                yield f"{shown}[{index}]", _plain(item)
                index += 1
        except ijson.JSONError as exc:
            raise FileRejected(f"invalid JSON after {index} record(s): {exc}") from None
        except RecursionError:
            raise FileRejected(f"JSON nested too deeply after {index} record(s)") from None
        except UnicodeDecodeError:
            raise FileRejected("invalid UTF-8 in a JSON file (JSON must be UTF-8)") from None
    if index == 0:
        raise FileRejected(f"no records (expected a JSON array or an object with a '{list_key}' array)")


MAX_DEPTH = 64
"""Deepest nesting accepted in a JSON input (records are a few levels deep; deeper is an attack or an error)."""


def _items(fh: IO[bytes], prefix: str) -> Iterator[Any]:
    """``ijson.items`` with a nesting limit, so a pathological document cannot exhaust memory or the stack."""
    depth = 0
    builder: ijson.ObjectBuilder | None = None
    for path, event, value in ijson.parse(fh):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise FileRejected(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif event in ("end_map", "end_array"):
            depth -= 1
        if builder is None:
            if path == prefix and event in ("start_map", "start_array", "string", "number", "boolean", "null"):
                builder = ijson.ObjectBuilder()
            else:
                continue
        builder.event(event, value)
        if path == prefix and event not in ("start_map", "start_array", "map_key"):
            yield builder.value
            builder = None


def _first_kib(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(1024)


def _load_small(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileRejected("invalid UTF-8 in a JSON file (JSON must be UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise FileRejected(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise FileRejected("JSON nested too deeply") from None


def _json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                yield f"line {number}", json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield f"line {number}", _Invalid(str(exc))
            except RecursionError:
                yield f"line {number}", _Invalid("nested too deeply")


class _Invalid:
    """A JSON Lines line that does not parse: the reader rejects that record only."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def not_an_object(item: Any, what: str) -> str:
    """The rejection reason for an item that is not a JSON object."""
    if isinstance(item, _Invalid):
        return f"invalid JSON: {item.reason}"
    return f"{what} must be a JSON object"
