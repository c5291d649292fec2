"""factory_boy factories for test data."""
from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from gateway import crypto
from gateway.extensions import db
from gateway.models import Activity, Contact, Report, Ticket, User, utcnow


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class ContactFactory(_Base):
    """A contact with an encrypted Niger number (+2279xxxxxxx)."""

    class Meta:
        model = Contact
        exclude = ("phone_number",)

    phone_number = factory.Sequence(lambda n: f"+22790{n:06d}")
    phone_hash = factory.LazyAttribute(lambda o: crypto.lookup_hash(o.phone_number))
    phone_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.phone_number))
    reporter_code = factory.LazyAttribute(lambda o: crypto.pseudonym(o.phone_number))
    language = "fra"
    adm1_pcode = None
    adm2_pcode = None


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = "Test user"
    role = "staff"
    password_hash = factory.LazyFunction(lambda: __import__("werkzeug.security").security.generate_password_hash("pw"))


class ActivityFactory(_Base):
    class Meta:
        model = Activity

    code = factory.Sequence(lambda n: f"ACT{n:02d}")
    name = factory.Sequence(lambda n: f"Activité {n}")
    kind = "training"
    adm1_pcode = "NE002"
    adm2_pcode = "NE002003"
    starts_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=3))
    capacity = 10


class ReportFactory(_Base):
    class Meta:
        model = Report

    reference = factory.Sequence(lambda n: f"R{n:06d}")
    category_code = "land_water"
    adm1_pcode = "NE002"
    adm2_pcode = "NE002003"
    channel = "ussd"
    language = "fra"


class TicketFactory(_Base):
    class Meta:
        model = Ticket

    kind = "flagged_message"
    priority = 2
