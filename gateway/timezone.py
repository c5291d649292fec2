"""Niger's time zone, where every local time the gateway shows or schedules is taken, and the
one way to read an ISO 8601 time a caller sends."""
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

# Africa/Niamey: UTC+1 all year (no daylight saving time).
NIGER = ZoneInfo("Africa/Niamey")


def to_the_hour(moment: datetime) -> datetime:
    """`moment` cut to its hour: the only precision kept of anything about an anonymous report, so
    no time stored with it lines up with the person's other traces (last seen, session log)."""
    return moment.replace(minute=0, second=0, microsecond=0)


def parse_iso_time(raw: str, naive_zone: tzinfo = timezone.utc) -> datetime:
    """An ISO 8601 time (`Z` allowed) as an aware datetime in UTC; one without an offset is in
    `naive_zone`. ValueError when malformed, or when it leaves the calendar once in UTC
    (`9999-12-31T23:59:59-23:59`), which no database column could hold."""
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_zone)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("the time is outside the calendar once in UTC") from None
