"""The baseline every web benchmark compares against: a minimal Flask app under the same server.

`ussd` answers a fixed USSD screen; `sms` accepts a form post and answers 200, doing no work.
"""
from flask import Flask, request

app = Flask(__name__)


@app.post("/ussd/africastalking")
def ussd():
    request.form.get("text")
    return "CON Welcome\n1. Report\n2. Register", 200, {"Content-Type": "text/plain"}


@app.post("/sms/africastalking/inbound")
def sms():
    request.form.get("text")
    return "", 200
