"""TCK mode: the seed data and scripted behaviours the Eclipse Dataspace TCK (dsp-tck 1.0.x) expects.

The TCK drives both roles and needs the connector to react in a fixed way per dataset id (negotiations) or agreement
id (transfers): answer a request with an offer or an agreement, terminate, stay idle... These tables mirror the
reference setup of Eclipse EDC's TCK extension. They are only installed when ``dsp_tck_mode`` is on.
"""

from __future__ import annotations

import hashlib
import time

from connector.config import DspParticipant, DspPolicy, Settings
from connector.dsp.catalog import Entry
from connector.dsp.repository import Agreement, DspRepository, Process
from connector.dsp.service import Action
from connector.dsp.states import Kind, Role

PROVIDER_DATASETS = (
    [f"ACN01{i:02d}" for i in range(1, 5)]
    + [f"ACN02{i:02d}" for i in range(1, 8)]
    + [f"ACN03{i:02d}" for i in range(1, 5)]
    + ["CAT0101", "CAT0102"]
)
PROVIDER_AGREEMENTS = (
    [f"ATP01{i:02d}" for i in range(1, 6)]
    + [f"ATP02{i:02d}" for i in range(1, 6)]
    + [f"ATP03{i:02d}" for i in range(1, 7)]
)
TCK_POLICY = DspPolicy(id="tck", datasets=list(PROVIDER_DATASETS))


def offer_id(dataset: str) -> str:
    """The offer id of the TCK's sample configuration (``CN_xx_yy_OFFERID``)."""
    return f"CD123:{dataset}:456"


def participant(settings: Settings) -> DspParticipant:
    return DspParticipant(
        id=settings.dsp_tck_participant,
        token_sha256=hashlib.sha256(settings.dsp_tck_token.encode()).hexdigest(),
        callback_hosts=settings.dsp_tck_callback_hosts,
        member=True,
    )


def entries(graph: str) -> list[Entry]:
    return [
        Entry(
            id=d,
            key=d,
            graph=graph,
            title={"en": f"TCK dataset {d}"},
            description={"en": "Seeded for the Eclipse Dataspace TCK."},
            policies=(TCK_POLICY,),
            offer_ids=(offer_id(d),),
        )
        for d in PROVIDER_DATASETS
    ]


def seed(repo: DspRepository, settings: Settings) -> None:
    """Pre-existing FINALIZED agreements the provider-side transfer tests use (idempotent)."""
    for agreement_id in PROVIDER_AGREEMENTS:
        policy = {
            "@id": agreement_id,
            "@type": "Agreement",
            "target": "CAT0101",
            "assigner": settings.participant_id,
            "assignee": settings.dsp_tck_participant,
            "permission": [{"action": "use"}],
        }
        repo.put_agreement(
            Agreement(
                agreement_id, "CAT0101", settings.participant_id, settings.dsp_tck_participant, policy, time.time()
            )
        )


A = Action
_PROVIDER_CN = {
    # (state, nth request) -> {dataset: action}
    ("REQUESTED", 1): {
        **dict.fromkeys(["ACN0101", "ACN0102", "ACN0103", "ACN0204", "ACN0205", "ACN0206"], A.OFFER),
        **dict.fromkeys(["ACN0302", "ACN0303", "ACN0304"], A.OFFER),
        **dict.fromkeys(["ACN0104", "ACN0203", "ACN0207", "ACN0301"], A.AGREE),
        "ACN0201": A.TERMINATE,
        "ACN0202": A.IDLE,
    },
    ("REQUESTED", 2): {"ACN0102": A.TERMINATE, "ACN0304": A.IDLE},
    ("ACCEPTED", 0): {"ACN0103": A.AGREE, "ACN0206": A.TERMINATE, "ACN0303": A.IDLE},
    ("VERIFIED", 0): {"ACN0103": A.FINALIZE, "ACN0104": A.FINALIZE, "ACN0301": A.FINALIZE, "ACN0207": A.TERMINATE},
    ("OFFERED", 0): {"ACN0205": A.TERMINATE},
}
_CONSUMER_CN = {
    "OFFERED": {
        **dict.fromkeys(["ACNC0101", "ACNC0205", "ACNC0304", "ACNC0305", "ACNC0306"], A.ACCEPT),
        "ACNC0102": A.COUNTER_OFFER,
        "ACNC0103": A.TERMINATE,
    },
    "AGREED": {"ACNC0101": A.VERIFY, "ACNC0104": A.VERIFY, "ACNC0206": A.VERIFY, "ACNC0203": A.TERMINATE},
    "REQUESTED": {"ACNC0202": A.TERMINATE},
}
_START = [f"ATP01{i:02d}" for i in range(1, 5)] + [f"ATP02{i:02d}" for i in range(1, 5)]
_PROVIDER_TP = {
    ("REQUESTED", 0): {
        **dict.fromkeys(_START + ["ATP0303", "ATP0304", "ATP0305", "ATP0306"], A.START),
        "ATP0105": A.TERMINATE,
        **dict.fromkeys(["ATP0205", "ATP0301", "ATP0302"], A.IDLE),
    },
    ("STARTED", 0): {"ATP0101": A.TERMINATE, "ATP0102": A.COMPLETE, "ATP0103": A.SUSPEND, "ATP0104": A.SUSPEND},
    ("STARTED", 1): {"ATP0104": A.COMPLETE},
    ("SUSPENDED", 1): {"ATP0103": A.TERMINATE, "ATP0104": A.START},
}
_CONSUMER_TP = {
    ("STARTED", 0): {"ATPC0201": A.TERMINATE, "ATPC0202": A.COMPLETE, "ATPC0203": A.SUSPEND},
    ("SUSPENDED", 1): {"ATPC0203": A.TERMINATE},
    ("REQUESTED", 0): {"ATPC0205": A.TERMINATE},
}


def script(p: Process) -> Action | None:
    """The TCK's scripted reaction for a process; IDLE: wait; None: not a TCK id (production default applies).

    TCK ids never fall back to the default: an id without an entry for the current state waits."""
    if p.kind is Kind.NEGOTIATION:
        key = str(p.data.get("dataset") or "")
        if p.role is Role.PROVIDER:
            if key not in PROVIDER_DATASETS:
                return None
            nth = p.data.get("requests", 1) if p.state == "REQUESTED" else 0
            return _PROVIDER_CN.get((p.state, nth), {}).get(key, A.IDLE)
        if not key.startswith("ACNC"):
            return None
        return _CONSUMER_CN.get(p.state, {}).get(key, A.IDLE)
    key = str(p.data.get("agreement") or "")
    table, prefix = (_PROVIDER_TP, "ATP0") if p.role is Role.PROVIDER else (_CONSUMER_TP, "ATPC")
    if not key.startswith(prefix):
        return None
    return table.get((p.state, p.data.get("suspensions", 0)), {}).get(key, A.IDLE)
