"""The USSD engine: a small interpreter of the journeys, one hop at a time.

State per session (compact JSON in Redis, see gateway/services/ussd_sessions.py):
`screen`, `page`, `stack` (for `0` back), `data` (answers of the current journey),
`language`, `contact_id`, `text` (the provider's accumulated text seen last), `choices`
(the values of the list on screen) and the last answer with its hop key (`key`, `last`).

Inputs everywhere: a number from the screen, `0` back, `00` home (main menu), `98` next page.
A hop does no detection, no provider call and no fan-out: one Redis read and one pipelined
write. What a journey stores is handed to `workers.ussd` in that same write (`Context.defer`);
the contact comes from a Redis cache, the database only for a number not cached (or new), for
lists that change (activities, seats, subscriptions) and for an activity registration.
"""
from __future__ import annotations

import logging
from functools import cached_property

import redis
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from gateway.extensions import db
from gateway.models import Contact, Report
from gateway.phone import InvalidNumber
from gateway.services import ussd_sessions
from gateway.services.contacts import find_by_phone
from gateway.services.reports import stored_source_key
from handlers.ussd import UssdHop, UssdReply
from menus.actions import ACTIONS, Transition
from menus.model import Menus, Screen
from menus.screens import MORE, end_screen, layout, numbered
from menus.sources import PARAMS, SOURCES, screen_params
from menus.texts import FALLBACK, USSD_LANGUAGES, Texts, clean_input

log = logging.getLogger(__name__)

BACK, HOME = "0", "00"
MAX_REPLAYED_INPUTS = 30      # a new session whose text already holds inputs (dial string shortcut)
MAX_LIST_ITEMS = 97           # 98 means "more"
NAV_KEY, MORE_KEY, INVALID_KEY = "ussd.nav.back_home", "ussd.nav.more", "ussd.error.invalid"
UNAVAILABLE_KEY = "ussd.failed"      # "Sorry, the service has a problem. Try again later."
# Keys the engine itself shows on every journey: every language must have them.
ENGINE_KEYS = (NAV_KEY, MORE_KEY, INVALID_KEY, UNAVAILABLE_KEY)


class Context:
    """What sources, parameters and actions see of the hop."""

    def __init__(self, engine: "Engine", state: dict, hop: UssdHop, effects: ussd_sessions.Effects | None = None):
        self.engine, self.state, self.hop = engine, state, hop
        self.menus, self.texts = engine.menus, engine.texts
        self.effects = effects or ussd_sessions.Effects()

    @property
    def language(self) -> str:
        return self.state.get("language") or FALLBACK

    @property
    def data(self) -> dict:
        return self.state.setdefault("data", {})

    @property
    def source_key(self) -> str:
        """Idempotency key of what this session creates (one report per session)."""
        return f"ussd:{self.hop.channel}:{self.hop.session_id}"

    @cached_property
    def contact(self):
        contact_id = self.state.get("contact_id")
        # Groups are not needed by any journey: do not load them with the contact.
        return db.session.get(Contact, contact_id, options=[lazyload(Contact.groups)]) if contact_id else None

    def defer(self, kind: str, **payload) -> None:
        """Hand a write to `workers.ussd` (applied once, after this hop's answer)."""
        self.effects.jobs.append({"kind": kind, **payload})

    def contact_changed(self) -> None:
        """Refresh the cached contact from this session's state (language, region, draft)."""
        state = self.state
        if state.get("contact_id"):
            self.effects.phone = self.hop.phone
            self.effects.contact = {"id": state["contact_id"], "language": state.get("language"),
                                    "confirmed": bool(state.get("confirmed")), "adm1": state.get("adm1"),
                                    "adm2": state.get("adm2"), "draft_in_db": bool(state.get("had_draft"))}

    def discard_draft(self) -> None:
        """Forget the person's draft: in Redis with this hop's write, in the database (only if one
        may be there) by the worker."""
        state = self.state
        if state.get("contact_id"):
            self.effects.drop_draft = True
            if state.pop("had_draft", False):
                self.defer("drop_draft", contact_id=state["contact_id"])
                self.contact_changed()
        state["draft_saved"] = False


class Engine:
    """Interprets validated journeys against per-session state."""

    def __init__(self, menus: Menus, texts: Texts):
        self.menus, self.texts = menus, texts

    # --- One hop ----------------------------------------------------------------------------

    def handle(self, hop: UssdHop) -> UssdReply:
        """Answer one hop. A hop already answered gets the same answer, with no side effect.

        Without Redis (stopped, restarting) the session cannot go on: the hop answers END with
        the catalogs' "try again later" in the person's language, and stores nothing.
        """
        try:
            return self._handle(hop)
        except redis.RedisError:
            log.warning("Redis unreachable: USSD hop answered 'try again later'")
            db.session.rollback()
            return UssdReply(self.texts.get(UNAVAILABLE_KEY, self._stored_language(hop.phone)), True)

    @staticmethod
    def _stored_language(phone: str) -> str | None:
        """The contact's language from the database (the Redis cache is what is missing)."""
        try:
            contact = find_by_phone(phone)
        except InvalidNumber:
            return None
        language = contact.language if contact is not None else None
        return language if language in USSD_LANGUAGES else None

    def _handle(self, hop: UssdHop) -> UssdReply:
        hop_key = hop.text if hop.accumulated else (hop.hop_key or hop.text)
        effects = ussd_sessions.Effects()
        if hop.text == "" or not hop.accumulated:     # probably a first hop: the contact comes along
            state, contact = ussd_sessions.load_with_contact(hop.channel, hop.session_id, hop.phone)
        else:
            state, contact = ussd_sessions.load(hop.channel, hop.session_id), None
        if state is not None:
            cached = ussd_sessions.cached_reply(state, hop_key)
            if cached is not None:
                return UssdReply(*cached)
            if state.get("ended"):       # nothing follows END; say it again
                return UssdReply(state["last"][0], True)
            inputs, fresh = [self._new_input(state, hop)], False
        else:
            state, fresh = self._start(hop, contact, effects), True
            inputs = hop.text.split("*")[:MAX_REPLAYED_INPUTS] if hop.text and hop.accumulated else \
                ([hop.text] if hop.text else [])
        ctx = Context(self, state, hop, effects)
        if fresh and inputs and self._already_reported(ctx):
            inputs = []     # Redis lost this session after its report was stored: say so again
        for value in inputs:
            if fresh:       # replaying a new session's inputs: each answers the screen before it
                self._render(ctx)
            self._step(ctx, value)
            if self.menus.screens[state["screen"]].type == "end":
                break
        reply = self._render(ctx)
        draft = self._draft(ctx)
        state["text"] = hop.text
        state["last"] = [reply.text, 1 if reply.end else 0]
        state["ended"] = reply.end
        ussd_sessions.remember_reply(state, hop_key, reply.text, reply.end)
        ussd_sessions.save(hop.channel, hop.session_id, state, draft=draft, effects=effects)
        return reply

    def _start(self, hop: UssdHop, contact: dict | None, effects: ussd_sessions.Effects) -> dict:
        """A new session: the contact (cached, else found or created) and the first screen."""
        if contact is None:
            contact = ussd_sessions.touch_contact(hop.phone)     # marks it seen, caches it
        else:
            effects.seen = contact["id"]                         # applied by the worker
        language = contact["language"]
        state = {"contact_id": contact["id"], "adm1": contact["adm1"], "adm2": contact["adm2"], "text": "",
                 "screen": "main", "page": 0, "stack": [], "data": {}}
        if contact["confirmed"]:
            state["confirmed"] = True
        if contact["draft_in_db"]:
            state["had_draft"] = True
        if contact["confirmed"] and language:
            state["language"] = language
            if ussd_sessions.has_draft(contact["id"], contact["draft_in_db"]):
                # Remember a draft may sit in the database too, to delete it when done.
                state["screen"], state["had_draft"] = "resume", True
        else:
            # A language guessed from earlier SMS is used for the question itself.
            state["language"] = language if language in USSD_LANGUAGES else None
            state["screen"] = "language"
        return state

    @staticmethod
    def _already_reported(ctx: Context) -> bool:
        """True (and the closing screen set) when this session's report exists already."""
        keys = [ctx.source_key, stored_source_key(ctx.source_key, anonymous=True)]
        found = db.session.execute(select(Report.reference, Report.anonymous)
                                   .where(Report.source_key.in_(keys))).first()
        if found is None:
            return False
        screen = "report.done_anonymous" if found.anonymous else "report.done"
        ctx.state.update(screen=screen, end_params={"reference": found.reference})
        return True

    @staticmethod
    def _new_input(state: dict, hop: UssdHop) -> str | None:
        """What the person typed this time: the accumulated text minus what we saw before.

        Not `text.split("*")[-1]`: free text may itself contain `*` (Africa's Talking joins every
        input of the session with `*`).
        """
        if not hop.accumulated:
            return hop.text
        previous, text = state.get("text", ""), hop.text
        if previous == "":
            return text
        if text.startswith(previous + "*"):
            return text[len(previous) + 1:]
        return None     # not a continuation of this session: re-prompt

    # --- Moving between screens -------------------------------------------------------------

    def _step(self, ctx: Context, value: str | None) -> None:
        state = ctx.state
        screen = self.menus.screens[state["screen"]]
        stripped = (value or "").strip()
        if screen.type == "end":
            return
        if stripped == HOME:
            return self._home(ctx)
        if stripped == BACK:
            return self._back(ctx)
        if value is None:
            state["error"] = INVALID_KEY
            return
        if screen.type == "input":
            return self._answer_input(ctx, screen, value)
        if stripped == MORE and state.get("page", 0) + 1 < state.get("pages", 1):
            state["stack"].append([screen.id, state.get("page", 0)])
            state["page"] = state.get("page", 0) + 1
            return
        choice = int(stripped) if stripped.isascii() and stripped.isdigit() and len(stripped) <= 3 else 0
        if screen.type == "menu":
            if not 1 <= choice <= len(screen.options):
                state["error"] = INVALID_KEY
                return
            option = screen.options[choice - 1]
            ctx.data.update(option.set)
            if option.action:
                return self._apply(ctx, self._run(ctx, option.action, option.args))
            return self._goto(ctx, option.next)
        choices = state.get("choices") or []
        if not 1 <= choice <= len(choices):
            state["error"] = INVALID_KEY
            return
        ctx.data[screen.store] = choices[choice - 1]
        if screen.action:
            return self._apply(ctx, self._run(ctx, screen.action, screen.args))
        return self._goto(ctx, screen.next)

    def _answer_input(self, ctx: Context, screen: Screen, value: str) -> None:
        text = clean_input(value)
        if screen.skip is not None and text == screen.skip:
            text = ""
        elif not text:
            ctx.state["error"] = INVALID_KEY
            return
        ctx.data[screen.store] = text[:screen.max_length]
        self._goto(ctx, screen.next)

    def _run(self, ctx: Context, name: str, args: dict) -> Transition:
        """Run an action; a failure ends the session politely (and is logged), never a 500."""
        try:
            return ACTIONS[name](ctx, **args)
        except Exception:
            db.session.rollback()
            ctx.effects.jobs.clear()    # nothing half-done is handed over
            log.exception("USSD action %s failed", name)
            return Transition.end("failed")

    def _apply(self, ctx: Context, transition: Transition) -> None:
        if transition.kind == "home":
            return self._home(ctx, keep_draft=True)
        if transition.kind == "end":
            ctx.state["end_params"] = transition.params
            return self._goto(ctx, transition.screen)
        if transition.kind == "goto":
            return self._goto(ctx, transition.screen)
        # "stay": the action has set the screen itself (resuming a draft)

    def _goto(self, ctx: Context, target: str) -> None:
        state = ctx.state
        current = state["screen"]
        if self.menus.screens[target].journey != self.menus.screens[current].journey \
                and self.menus.screens[target].type != "end":
            state["data"] = {}
        state["stack"].append([current, state.get("page", 0)])
        state["screen"], state["page"] = target, 0

    def _back(self, ctx: Context) -> None:
        state = ctx.state
        if not state["stack"]:
            return
        leaving = self.menus.journey_of(state["screen"])
        state["screen"], state["page"] = state["stack"].pop()
        if leaving.draft and self.menus.journey_of(state["screen"]).name != leaving.name:
            self._drop_draft(ctx)

    def _home(self, ctx: Context, keep_draft: bool = False) -> None:
        state = ctx.state
        if not keep_draft and self.menus.journey_of(state["screen"]).draft:
            self._drop_draft(ctx)
        state.update(screen="main", page=0, stack=[], data={})

    def _drop_draft(self, ctx: Context) -> None:
        """The person left the journey on purpose: no "continue?" next time."""
        if ctx.state.pop("draft_saved", False) and ctx.state.get("contact_id"):
            ctx.discard_draft()
        ctx.state.pop("draft_sig", None)

    def _draft(self, ctx: Context) -> dict | None:
        """In a journey that survives a dropped session: where the person is, if that changed."""
        state = ctx.state
        screen = self.menus.screens[state["screen"]]
        if screen.type == "end" or not self.menus.journeys[screen.journey].draft or not state.get("contact_id"):
            return None
        signature = f"{screen.id}|{sorted(ctx.data.items())}"
        if state.get("draft_sig") == signature:
            return None
        state["draft_saved"], state["draft_sig"] = True, signature
        return {"journey": screen.journey, "screen": screen.id, "data": ctx.data, "stack": state["stack"],
                "session_id": ctx.hop.session_id}

    # --- Rendering --------------------------------------------------------------------------

    def _render(self, ctx: Context) -> UssdReply:
        state, lang = ctx.state, ctx.language
        screen = self.menus.screens[state["screen"]]
        error = state.pop("error", None)
        error_text = self.texts.get(error, lang) if error else None
        if screen.type == "end":
            params = screen_params(state.pop("end_params", None) or {})
            return UssdReply(end_screen(self.texts.format(screen.text, lang, params)), end=True)
        params = screen_params(PARAMS[screen.params](ctx)) if screen.params else None
        header = self.texts.format(screen.text, lang, params)
        nav = self.texts.get(NAV_KEY, lang) if state["stack"] and screen.id != "main" else None
        if screen.type == "input":
            lines = []
        elif screen.type == "menu":
            lines = numbered([o.literal if o.literal else self.texts.get(o.label, lang) for o in screen.options])
        else:
            items = SOURCES[screen.source](ctx)[:MAX_LIST_ITEMS]
            if not items and screen.empty:
                state["screen"], state["page"] = screen.empty, 0
                return self._render(ctx)
            state["choices"] = [i.value for i in items]
            lines = numbered([i.label for i in items])
        page = layout(header, lines, more_label=self.texts.get(MORE_KEY, lang), nav=nav,
                      page=state.get("page", 0), error=error_text)
        state["page"], state["pages"] = page.page, page.pages
        return UssdReply(page.text, end=False)


def get_engine() -> Engine:
    """The app's engine (built by `menus.init_app`)."""
    return current_app.extensions["menus"]
