"""Schema-driven fuzzing (schemathesis) over the app's own OpenAPI description: no 5xx, no answer breaking its schema.

Bounded: a fixed number of generated cases per operation (derandomised, so a failure replays), as an operator
holding every role so that protected routes are exercised past their role check, on a throwaway store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from connector.api.app import create_app
from connector.auth import ROLES
from connector.auth.configured import append_key_entry, new_api_key
from connector.config import load_settings
from connector.context import Context

FIXTURES = Path(__file__).parent.parent / "fixtures"
KEY = new_api_key()


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("fuzz")
    config = load_settings(home=home, rate_limit_anonymous_per_minute=0, rate_limit_authenticated_per_minute=0)
    append_key_entry(config.api_key_path, "fuzzer", list(ROLES), KEY)
    ctx = Context(config)
    for name in ("rome", "esco"):
        ctx.store.replace_graph(ctx.datasets.get(name).graph, FIXTURES / "small.ttl")
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx))
    ctx.close()


def _fuzz(operation, tried: dict[str, int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        tried[operation.label] = tried.get(operation.label, 0) + 1
        for headers in ({"Authorization": f"Bearer {KEY}"}, {}):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    run()


def test_api_answers_stay_within_schema_and_never_5xx(api_schema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 4
    tried: dict[str, int] = {}
    for operation in operations:
        _fuzz(operation, tried)
    assert len(tried) == len(operations)
    print(f"fuzzed {sum(tried.values())} cases over {len(tried)} operations")
