"""Outbound DSP calls: JSON over HTTP(S) to a peer, with its credential, no redirects, bounded retries.

Addresses that came from a peer (callback addresses) are checked against the hosts registered for that peer before
every call, so a message can never make the connector call an arbitrary host (SSRF).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connector.dsp.identity import CallbackRefused, Participants

log = logging.getLogger("connector.dsp")


class PeerError(Exception):
    """The peer could not be reached or refused the message; ``status`` is its HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]
    """Case-insensitive."""


class DspClient:
    def __init__(self, participants: Participants, timeout_s: float = 10.0, attempts: int = 3) -> None:
        self.participants = participants
        self.timeout_s, self.attempts = timeout_s, attempts
        self._http = requests.Session()

    def post(self, url: str, body: dict[str, Any], peer_id: str | None, *, peer_address: bool = True) -> Reply:
        """POST a message; ``peer_address`` True: ``url`` came from the peer and must be on its registered hosts."""
        return self._call("POST", url, body, peer_id, peer_address)

    def get(self, url: str, peer_id: str | None, *, peer_address: bool = True) -> Reply:
        return self._call("GET", url, None, peer_id, peer_address)

    def _call(self, method: str, url: str, body: Any, peer_id: str | None, peer_address: bool) -> Reply:
        if peer_address:
            try:
                self.participants.check_callback(peer_id or "", url)
            except CallbackRefused as exc:
                raise PeerError(str(exc)) from None
        last: PeerError | None = None
        for attempt in range(self.attempts):
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            auth = self.participants.authorization_for(peer_id)
            if auth:
                headers["Authorization"] = auth
            try:
                r = self._http.request(
                    method, url, json=body, headers=headers, timeout=self.timeout_s, allow_redirects=False
                )
            except requests.RequestException as exc:
                last = PeerError(f"{method} {url}: {exc.__class__.__name__}")
            else:
                try:
                    payload = r.json() if r.content else None
                except ValueError:
                    payload = r.text[:500]
                if r.status_code < 300:
                    return Reply(r.status_code, payload, r.headers)
                last = PeerError(f"{method} {url}: HTTP {r.status_code}", r.status_code, payload)
                if r.status_code < 500:
                    break  # the peer refused the message: retrying will not change its mind
            time.sleep(0.1 * (2**attempt))
        assert last is not None
        log.info("DSP call failed: %s", last)
        raise last
