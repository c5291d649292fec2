"""Africa's Talking: SMS (sms.py) and USSD (ussd.py) share credentials and the callback token."""
from handlers.africastalking.sms import AfricasTalkingChannel  # noqa: F401
