"""Niger's time zone, where every local time the gateway shows or schedules is taken."""
from zoneinfo import ZoneInfo

# Africa/Niamey: UTC+1 all year (no daylight saving time).
NIGER = ZoneInfo("Africa/Niamey")
