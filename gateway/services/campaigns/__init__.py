"""SMS campaigns: one text per language, an audience, a preview of what sending will cost, the
state changes staff ask for, and the exactly-once sending the workers do.

    audience.py    who: the audience checked and canonical, and as SQL
    drafts.py      what and when: texts per language, send_at, repeat; creating a draft
    preview.py     recipients, encoding, segments and cost before sending
    states.py      the states and the table of allowed moves between them
    control.py     send / schedule, pause, resume, cancel, retry failed, test send
    schedule.py    start jobs, completion, repeats
    fanout.py      starting: every recipient's rows in one INSERT … SELECT, then the batches
    batches.py     one batch: prepare, claim, one provider request, record
    throttle.py    per-channel rates shared through Redis
    watchdog.py    lost batches, orphaned claims, completion, while a campaign sends
    progress.py    counts and what the API and console show
    deliveries.py  delivery reports for campaign messages

The jobs that run this are thin wrappers in workers/campaigns.py.
"""
from gateway.services.campaigns.audience import AUDIENCE_KEYS, audience_conditions, normalize_audience
from gateway.services.campaigns.control import cancel, pause, resume, retry_failed, send, test_send
from gateway.services.campaigns.deliveries import on_message_status, reconcile_status
from gateway.services.campaigns.drafts import REPEATS, create, normalize_texts
from gateway.services.campaigns.errors import CampaignConflict, CampaignError, CampaignNotFound
from gateway.services.campaigns.preview import campaign_preview, preview, transliteration_preview
from gateway.services.campaigns.progress import counts, failure_reasons, get, local_time, summary

__all__ = [
    "AUDIENCE_KEYS", "REPEATS", "CampaignConflict", "CampaignError", "CampaignNotFound", "audience_conditions",
    "campaign_preview", "cancel", "counts", "create", "failure_reasons", "get", "local_time",
    "normalize_audience", "normalize_texts", "on_message_status", "pause", "preview", "reconcile_status",
    "resume", "retry_failed", "send", "summary", "test_send", "transliteration_preview",
]
