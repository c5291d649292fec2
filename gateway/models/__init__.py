"""The data model. Every table is created by an Alembic migration under `migrations/`."""
from gateway.models.base import utcnow
from gateway.models.reference import AdminArea, Category, Topic, Partner
from gateway.models.contacts import Contact, ContactGroup, Subscription
from gateway.models.messages import Message
from gateway.models.ussd import UssdSession, UssdDraft, UssdHeldWrite
from gateway.models.reports import Report
from gateway.models.activities import Activity, Registration
from gateway.models.campaigns import Campaign, Delivery
from gateway.models.tickets import Ticket, TicketNote, TicketAssignment
from gateway.models.users import User, ApiToken
from gateway.models.audit import AuditEntry
from gateway.models.rules import Keyword, FlagRule, CannedReply
from gateway.models.outbox import JobOutbox
from gateway.models.statuses import (ActivityStatus, CampaignStatus, DeliveryStatus, MessageStatus, RegistrationStatus,
                                     ReportStatus, TicketStatus, UssdSessionStatus)

__all__ = [
    "utcnow", "AdminArea", "Category", "Topic", "Partner", "Contact", "ContactGroup",
    "Subscription", "Message", "UssdSession", "UssdDraft", "UssdHeldWrite", "Report", "Activity", "Registration",
    "Campaign", "Delivery", "Ticket", "TicketNote", "TicketAssignment", "User", "ApiToken",
    "AuditEntry", "Keyword", "FlagRule", "CannedReply", "JobOutbox", "ActivityStatus", "CampaignStatus", "DeliveryStatus",
    "MessageStatus", "RegistrationStatus", "ReportStatus", "TicketStatus", "UssdSessionStatus",
]
