"""``/metrics``: Prometheus text exposition of :mod:`connector.metrics` and the process collectors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from connector.api.deps import require_role

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"}},
)
def prometheus_metrics(request: Request) -> Response:
    role = request.app.state.ctx.settings.metrics_role
    if role:
        require_role(role)(request)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
