"""Default SMS keywords and flagging rules, loaded by `flask --app wsgi seed` (idempotent).

These are data: admins edit the `keywords` and `flag_rules` tables afterwards, and the loaders
never overwrite a row that exists (only missing words / rule names are added).

REVIEW STATUS. French words are reviewed; English ones are shared by everyone ("mul"). Every
other word and term is a DRAFT until a native speaker confirms it (DRAFT below) — none was
written by one. Hausa entries are common usage; Zarma ones follow the Niger orthography and the
project's menus; Fulfulde, Kanuri and Tamasheq ones are the least sure: they repeat the words of
the draft menus (so what a menu shows, a person can type) plus loanwords used across the region
(bindiga, garkuwa, hijira); Arabic ones are Modern Standard Arabic. Have them checked before
announcing them on the radio. Stop words must stay short and unambiguous.

Keywords cover what the menus and SMS texts teach (tests/test_keywords.py reads the catalogs
and fails on a gap) and the spellings people use (RAJISTA and RIJISTA, S'INSCRIRE).
"""
from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db
from gateway.models import FlagRule, Keyword

DRAFT = {"hau", "dje", "fuv", "knc", "taq", "arb"}   # languages whose words await review

# (word, language, action, argument). Words are stored folded (lowercase, no accents), so
# ARRÊT, Arret and arret are the same keyword. A word is unique across languages: STOP and
# START are shared by everyone ("mul", multiple languages) and answered in the contact's language.
KEYWORDS = [
    # shared: English words are understood everywhere; STOP/START work on every channel
    ("stop", "mul", "stop", None), ("start", "mul", "restart", None), ("unstop", "mul", "restart", None),
    ("help", "mul", "help", None), ("report", "mul", "report", None), ("register", "mul", "register", None),
    ("join", "mul", "join", None), ("leave", "mul", "leave", None), ("language", "mul", "language", None),
    ("restart", "mul", "restart", None), ("call", "mul", "callback", None),
    # French (reviewed); "s inscrire" is S'INSCRIRE (the apostrophe folds to a space)
    ("signaler", "fra", "report", None), ("signal", "fra", "report", None), ("alerte", "fra", "report", None),
    ("signalement", "fra", "report", None),
    ("inscrire", "fra", "register", None), ("inscription", "fra", "register", None),
    ("s inscrire", "fra", "register", None), ("m inscrire", "fra", "register", None),
    ("rejoindre", "fra", "join", None), ("abonner", "fra", "join", None), ("s abonner", "fra", "join", None),
    ("quitter", "fra", "leave", None), ("desabonner", "fra", "leave", None), ("se desabonner", "fra", "leave", None),
    ("aide", "fra", "help", None), ("langue", "fra", "language", None),
    ("arret", "fra", "stop", None), ("arreter", "fra", "stop", None),
    ("reprendre", "fra", "restart", None), ("demarrer", "fra", "restart", None),
    ("rappel", "fra", "callback", None), ("appel", "fra", "callback", None), ("rappeler", "fra", "callback", None),
    ("rappelez", "fra", "callback", None), ("rappele", "fra", "callback", None),
    # Hausa (drafts): the menus say "Kai rahoton matsala", "Rajista a wani aiki", "Yi rajista"
    ("rahoto", "hau", "report", None), ("kai rahoto", "hau", "report", None), ("rahoton", "hau", "report", None),
    ("kai rahoton", "hau", "report", None),
    ("rijista", "hau", "register", None), ("rajista", "hau", "register", None), ("rejista", "hau", "register", None),
    ("yi rajista", "hau", "register", None), ("yi rijista", "hau", "register", None),
    ("shiga", "hau", "join", None), ("fita", "hau", "leave", None),
    ("taimako", "hau", "help", None), ("harshe", "hau", "language", None),
    ("tsaya", "hau", "stop", None), ("daina", "hau", "stop", None), ("dakatar", "hau", "stop", None),
    ("koma", "hau", "restart", None), ("kira", "hau", "callback", None), ("kira ni", "hau", "callback", None),
    # Zarma (drafts): kay = stop/stand, fun = go out (of the list); the menus say "Fitina baaru",
    # "hantumyan", "Šenni barmay" (š folds to s; feature phones write sh), "I ma ay ce" (call me)
    ("baaru", "dje", "report", None), ("baaroo", "dje", "report", None),
    ("hantum", "dje", "register", None), ("hantumyan", "dje", "register", None),
    ("furo", "dje", "join", None), ("fatta", "dje", "leave", None), ("gaakasinay", "dje", "help", None),
    ("sanni", "dje", "language", None), ("senni", "dje", "language", None), ("shenni", "dje", "language", None),
    ("kay", "dje", "stop", None), ("fun", "dje", "stop", None), ("tunandi", "dje", "restart", None),
    ("ay ce", "dje", "callback", None),
    # Fulfulde (drafts): the menus say "Habru caɗeele", "Winndito e golle", "Noddee kam", "Waylu ɗemngal"
    ("kabaaru", "fuv", "report", None), ("habru", "fuv", "report", None),
    ("winndito", "fuv", "register", None), ("naatu", "fuv", "join", None), ("yaltu", "fuv", "leave", None),
    ("ballal", "fuv", "help", None), ("haldeere", "fuv", "language", None), ("ɗemngal", "fuv", "language", None),
    ("darnu", "fuv", "stop", None), ("fuɗɗo", "fuv", "restart", None),
    ("noddee", "fuv", "callback", None), ("noddu", "fuv", "callback", None),
    # Kanuri (drafts, the menus' words): "Labar kalkal", "Ləmar suwuwa", "Wuro cuwo", "Tələm wakkə";
    # its SMS texts teach the shared STOP, START, JOIN, LEAVE and HELP
    ("labar", "knc", "report", None), ("ləmar", "knc", "register", None), ("tǝlam", "knc", "language", None),
    ("tələm", "knc", "language", None), ("wuro cuwo", "knc", "callback", None),
    # Tamasheq (drafts, the menus' words): "Əməl tanagra", "Ərəm əššəɣəl", "Ɣrət-i", "Səmutti awal";
    # its SMS texts teach the shared STOP, START, JOIN, LEAVE and HELP
    ("isalan", "taq", "report", None), ("tanagra", "taq", "report", None), ("ərəm", "taq", "register", None),
    ("awal", "taq", "language", None), ("ɣrət", "taq", "callback", None),
    # Arabic (drafts): written in Arabic script; Latin transliterations are added too
    ("بلاغ", "arb", "report", None), ("مساعدة", "arb", "help", None), ("لغة", "arb", "language", None),
    ("توقف", "arb", "stop", None), ("قف", "arb", "stop", None), ("balagh", "arb", "report", None),
    ("تسجيل", "arb", "register", None), ("اشتراك", "arb", "join", None), ("الغاء", "arb", "leave", None),
    ("اتصال", "arb", "callback", None),
]

# Flag rules: (language or None, label, category, priority 1-3, terms). Terms match on word
# boundaries of the folded text; `*` stands for any letters (stems: "enlev*" = enlève,
# enlèvement, enlevé…); several words are a phrase. Tested with real-looking messages in
# tests/test_sms_flagging.py. Hausa terms are drafts; Zarma, Fulfulde, Kanuri, Tamasheq and
# Arabic terms are drafts to be completed with native speakers.
FLAG_RULES = [
    (None, "armed_groups", "armed_groups", 1, ["boko haram", "iswap", "jnim", "eigs", "daesh", "jihadist*", "djihadist*"]),
    # French
    ("fra", "attack", "attack", 1, ["attaque*", "attaqu*", "coups de feu", "fusillade*", "tirs", "explosion*",
                                    "incendi*", "brul* le village", "pill*"]),
    ("fra", "armed_men", "armed_groups", 1, ["hommes armes", "homme arme", "groupe* arme*", "terroris*",
                                             "bandit* arme*", "motos armees"]),
    ("fra", "kidnapping", "kidnapping", 1, ["enlev*", "kidnapp*", "otage*", "rancon*", "enleve*"]),
    ("fra", "killing", "attack", 1, ["tue", "tues", "tuee*", "tuer*", "tuerie*", "assassin*", "meurtre*",
                                     "massacre*", "morts", "mort"]),
    ("fra", "cattle_theft", "livestock_theft", 2, ["vol* de betail", "vol* d animaux", "betail vole*",
                                                   "vol* de boeufs", "vol* de chameaux", "voleur* de betail"]),
    ("fra", "fighting", "intercommunal", 2, ["affrontement*", "bagarre*", "combat*", "heurt*", "rixe*"]),
    ("fra", "farmer_herder", "farmer_herder", 2, ["champ* detruit*", "champs ont ete detruit*", "detruit* les champs",
                                                "destruction de* champ*", "degat* champetre*", "champs saccag*"]),
    ("fra", "gbv", "gbv", 1, ["viol", "violee", "violees", "viole", "agression* sexuelle*", "abus sexuel*",
                              "harcelement sexuel", "mariage force"]),
    ("fra", "staff_abuse", "staff_abuse", 1, ["agent* humanitaire*", "personnel humanitaire",
                                              "exploitation sexuelle", "aide detourne*"]),
    ("fra", "hate_speech", "rumours", 3, ["discours de haine", "rumeur*", "appel* a la violence"]),
    # Hausa (drafts)
    ("hau", "attack", "attack", 1, ["hari", "harin", "kai hari", "farmaki", "harbe harbe", "harbi",
                                    "kona gari", "sun kona"]),
    ("hau", "armed_men", "armed_groups", 1, ["yan bindiga", "masu bindiga", "yan taadda", "mayaka",
                                             "yan ta adda"]),
    ("hau", "kidnapping", "kidnapping", 1, ["garkuwa", "satar mutane", "sun sace mutane", "an sace mutane",
                                            "sace mutum"]),
    ("hau", "killing", "attack", 1, ["kashe*", "kisa", "kisan", "an kashe"]),
    ("hau", "cattle_theft", "livestock_theft", 2, ["satar shanu", "satar dabbobi", "barayin shanu",
                                                   "sace shanu", "an sace shanu", "barayi"]),
    ("hau", "fighting", "intercommunal", 2, ["rikici*", "tashin hankali", "fadan", "sun yi fada"]),
    ("hau", "gbv", "gbv", 1, ["fyade", "cin zarafin mata", "auren dole"]),
    # Zarma (drafts)
    ("dje", "attack", "attack", 1, ["kaŋ ka zumbu", "zumbu*", "bindiga"]),
    ("dje", "armed_men", "armed_groups", 1, ["bonkoono*", "yanbindiga", "yan bindiga"]),
    ("dje", "kidnapping", "kidnapping", 1, ["boro zaa", "i na boro zaa", "zaa boro"]),
    ("dje", "killing", "attack", 1, ["boro wi", "i na boro wi", "n i wi", "i wi"]),
    ("dje", "cattle_theft", "livestock_theft", 2, ["almaney zay", "alman zay", "hawey zay", "zay*"]),
    ("dje", "fighting", "intercommunal", 2, ["kakaw", "yanje*"]),
    # Fulfulde (drafts)
    ("fuv", "killing", "attack", 1, ["warii", "warbe", "mbari"]),
    ("fuv", "cattle_theft", "livestock_theft", 2, ["wujji nai", "wujjo", "wujjuɓe", "wujjube"]),
    ("fuv", "fighting", "intercommunal", 2, ["fitina", "gere"]),
    # Kanuri (drafts)
    ("knc", "armed_men", "armed_groups", 1, ["bindiga"]),
    # Arabic (drafts)
    ("arb", "attack", "attack", 1, ["*هجوم*", "*هاجم*", "اطلاق نار", "إطلاق نار"]),
    ("arb", "armed_men", "armed_groups", 1, ["*مسلح*", "*ارهاب*", "*إرهاب*"]),
    ("arb", "kidnapping", "kidnapping", 1, ["*اختطاف*", "*خطف*", "*رهائن*"]),
    ("arb", "killing", "attack", 1, ["*قتل*", "*مقتل*"]),
    ("arb", "cattle_theft", "livestock_theft", 2, ["سرقة المواشي", "سرقة الماشية", "*مواشي* *مسروق*"]),
    ("arb", "fighting", "intercommunal", 2, ["*اشتباك*", "*نزاع*"]),
]


def load_keywords() -> int:
    """Add the default keywords that do not exist yet (admins' edits are kept). Returns how many."""
    from gateway.services.keywords import fold
    existing = set(db.session.scalars(select(Keyword.word)))
    added = 0
    for word, language, action, argument in KEYWORDS:
        folded = fold(word)
        if folded in existing:
            continue
        db.session.add(Keyword(word=folded, language=language, action=action, argument=argument))
        existing.add(folded)
        added += 1
    return added


def load_flag_rules() -> int:
    """Add the default flag rules that do not exist yet (by name). Returns how many."""
    from gateway.models import Category
    existing = set(db.session.scalars(select(FlagRule.name)))
    categories = set(db.session.scalars(select(Category.code)))
    added = 0
    for language, label, category, priority, terms in FLAG_RULES:
        name = f"{language or 'all'}:{label}"
        if name in existing:
            continue
        db.session.add(FlagRule(name=name, language=language, terms=list(terms), label=label,
                                category_code=category if category in categories else None,
                                priority=priority, flag=True))
        existing.add(name)
        added += 1
    return added
