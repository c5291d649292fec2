"""The staff console: server-rendered pages behind a session login. Page modules attach
themselves to `bp` when imported (`gateway.console.views` imports them all; `gateway.blueprints`
imports that before registering)."""
from flask import Blueprint, redirect, url_for

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
# The site's root: people who type the bare address land on the console.
root = Blueprint("root", __name__)


@root.get("/")
def home():
    """`/` leads to the console."""
    return redirect(url_for("console.index"))
