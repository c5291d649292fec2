"""Why a campaign request is refused (domain errors; the web layers choose the HTTP answer)."""
from __future__ import annotations

from gateway.services.errors import Conflict, Invalid, NotFound


class CampaignError(Invalid):
    """A campaign request that cannot be honoured: bad input unless a subclass says otherwise."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code)


class CampaignNotFound(CampaignError, NotFound):
    """No such campaign."""


class CampaignConflict(CampaignError, Conflict):
    """The campaign's state forbids the request."""
