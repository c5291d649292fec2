"""Provider webhooks, generated from what each channel declares (handlers/): a Flask view per
route (routes.py), the table of routes answered in front of Flask (fastpath.py), and one answer
function per kind of callback (sms.py, ussd.py)."""
from gateway.webhooks.routes import blueprint  # noqa: F401
