"""A campaign's states and the moves allowed between them, in one table.

    draft ──send──▶ scheduled ──start──▶ sending ◀──resume── paused
      │                 │                 │  ▲ └──pause──▶ ┘   │
      │                 │             complete  retry          │
      │                 │                 ▼  │                 │
      └──────cancel─────┴──────cancel── completed     cancel ──┘ ─▶ cancelled

Every change of `campaigns.status` goes through `move`: one conditional UPDATE (only from the
states the table allows), so two workers or two staff members racing cannot both move it.
"""
from __future__ import annotations

from sqlalchemy import update

from gateway.extensions import db
from gateway.models import Campaign, CampaignStatus, utcnow

DRAFT, SCHEDULED, SENDING, PAUSED, COMPLETED, CANCELLED = CampaignStatus

# action → (the states it moves a campaign from, the state it moves it to)
TRANSITIONS: dict[str, tuple[frozenset[CampaignStatus], CampaignStatus]] = {
    "schedule": (frozenset({DRAFT}), SCHEDULED),
    "send": (frozenset({DRAFT}), SENDING),
    "start": (frozenset({SCHEDULED}), SENDING),         # RQ's scheduler reached send_at
    "pause": (frozenset({SENDING}), PAUSED),
    "resume": (frozenset({PAUSED}), SENDING),
    "retry": (frozenset({COMPLETED, SENDING, PAUSED}), SENDING),
    "complete": (frozenset({SENDING}), COMPLETED),
    "cancel": (frozenset({DRAFT, SCHEDULED, SENDING, PAUSED}), CANCELLED),
}


def allowed(action: str, status: str) -> bool:
    """True when `action` may move a campaign that is `status`."""
    return status in TRANSITIONS[action][0]


def move(campaign_id: int, action: str, *conditions, **values) -> bool:
    """Apply `action` to the campaign if its current state allows it (one conditional UPDATE,
    with more `conditions` and `values` besides the new status; no commit). True when it moved."""
    sources, target = TRANSITIONS[action]
    if target in (COMPLETED, CANCELLED):
        values.setdefault("finished_at", utcnow())
    return bool(db.session.execute(update(Campaign).where(
        Campaign.id == campaign_id, Campaign.status.in_([s.value for s in sources]), *conditions
    ).values(status=target.value, **values)).rowcount)
