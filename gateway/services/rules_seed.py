"""Default SMS keywords and flagging rules, loaded by `flask --app wsgi seed` (idempotent).

These are data: admins edit the `keywords` and `flag_rules` tables afterwards, and the loaders
never overwrite a row that exists (only missing words / rule names are added). When a release
improves the shipped rules, `flask --app wsgi seed --refresh-rules` brings an installed database
up to date without undoing admins' work: each shipped rule gains the shipped terms it lacks;
terms admins added, a rule they switched off, its priority and category stay as they are.

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
from gateway.models import Category, FlagRule, Keyword
from gateway.services import audit
from gateway.services.keywords import fold

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
# enlèvement, enlevé…); several words are a phrase. Every language has the same kinds of rule as
# French — injury, weapons, attack, armed men, kidnapping, killing, fighting, displacement,
# gender-based violence, threats — as far as the words are known; tables of real-looking
# messages, flagged and not (near-misses included), are in tests/test_sms_flagging.py. Phrases
# rather than bare words where a word has an everyday sense: Hausa "kashe" also turns off a
# light, "fada" also tells or is the chief's court, Zarma "zaa" also takes. Fulfulde, Kanuri and
# Tamasheq terms are the least sure (see REVIEW STATUS): loanwords of the region and French
# words fill in where the native word is not known.
FLAG_RULES = [
    (None, "armed_groups", "armed_groups", 1, ["boko haram", "iswap", "jnim", "eigs", "daesh", "jihadist*",
                                               "djihadist*"]),
    (None, "weapons", "armed_groups", 1, ["kalach*", "kalash*", "ak47", "ak 47"]),
    # French
    ("fra", "attack", "attack", 1, ["attaque*", "attaqu*", "coups de feu", "fusillade*", "tirs", "explosion*",
                                    "incendi*", "brul* le village", "pill*"]),
    ("fra", "armed_men", "armed_groups", 1, ["hommes armes", "homme arme", "groupe* arme*", "terroris*",
                                             "bandit* arme*", "motos armees"]),
    ("fra", "kidnapping", "kidnapping", 1, ["enlev*", "kidnapp*", "otage*", "rancon*", "enleve*"]),
    ("fra", "killing", "attack", 1, ["tue", "tues", "tuee*", "tuer*", "tuerie*", "assassin*", "meurtre*",
                                     "massacre*", "morts", "mort"]),
    ("fra", "injury", "attack", 1, ["bless*", "coup* de couteau", "coup* de machette"]),
    ("fra", "weapons", "armed_groups", 1, ["arme", "armes", "arme* a feu", "fusil*", "munition*", "explosif*",
                                           "bombe*", "grenade*", "machette*"]),
    ("fra", "cattle_theft", "livestock_theft", 2, ["vol* de betail", "vol* d animaux", "betail vole*",
                                                   "vol* de boeufs", "vol* de chameaux", "voleur* de betail"]),
    ("fra", "fighting", "intercommunal", 2, ["affrontement*", "bagarre*", "combat*", "heurt*", "rixe*"]),
    ("fra", "farmer_herder", "farmer_herder", 2, ["champ* detruit*", "champs ont ete detruit*",
                                                  "detruit* les champs", "destruction de* champ*",
                                                  "degat* champetre*", "champs saccag*"]),
    ("fra", "displacement", "displacement", 2, ["deplaces", "personne* deplacee*", "famille* deplacee*",
                                                "refugie*", "ont fui", "fuient", "fuir", "exode",
                                                "quitte* le village", "quitte* leur* village*",
                                                "quitte* leur* maison*", "abandonne* le village"]),
    ("fra", "gbv", "gbv", 1, ["viol", "violee", "violees", "viole", "violer", "agression* sexuelle*",
                              "abus sexuel*", "harcelement sexuel", "mariage force", "mariage precoce",
                              "mariage* d enfant*", "violence* conjugale*", "violence* domestique*",
                              "femme* battue*", "attouchement*", "excision*"]),
    ("fra", "threats", "armed_groups", 2, ["menac*", "intimid*", "ultimatum", "racket*"]),
    ("fra", "staff_abuse", "staff_abuse", 1, ["agent* humanitaire*", "personnel humanitaire",
                                              "exploitation sexuelle", "aide detourne*"]),
    ("fra", "hate_speech", "rumours", 3, ["discours de haine", "rumeur*", "appel* a la violence"]),
    # Hausa (drafts)
    ("hau", "attack", "attack", 1, ["hari", "harin", "kai hari", "farmaki", "farmak*", "harbe harbe", "harbi",
                                    "kona gari", "sun kona", "kona gidaje", "kona kauye*"]),
    ("hau", "armed_men", "armed_groups", 1, ["yan bindiga", "masu bindiga", "yan taadda", "mayaka",
                                             "yan ta adda"]),
    ("hau", "weapons", "armed_groups", 1, ["bindig*", "makami", "makamai", "harsashi", "harsasai", "bam",
                                           "bama bamai", "nakiya", "adda"]),
    ("hau", "kidnapping", "kidnapping", 1, ["garkuwa*", "satar mutane", "sun sace mutane", "an sace mutane",
                                            "sace mutum", "masu garkuwa", "kudin fansa", "fansa", "sace yara",
                                            "sace yarinya", "sace mata"]),
    ("hau", "killing", "attack", 1, ["kisa", "kisan", "an kashe mutum", "an kashe mutane", "an kashe mana",
                                     "sun kashe mutum", "sun kashe mutane", "sun kashe mana", "kashe kashe",
                                     "kisan kai", "an yi kisa", "sun mutu", "mutane sun mutu", "gawa", "gawar",
                                     "gawarwaki", "gawawwaki", "rasa rai", "rasa rayuk*"]),
    ("hau", "injury", "attack", 1, ["rauni", "raunuka", "ji rauni", "jikkat*", "raunata"]),
    ("hau", "cattle_theft", "livestock_theft", 2, ["satar shanu", "satar dabbobi", "barayin shanu",
                                                   "sace shanu", "an sace shanu", "barayi"]),
    ("hau", "fighting", "intercommunal", 2, ["rikici*", "tashin hankali", "fadan", "sun yi fada", "yi fada",
                                             "yin fada", "fadace fadace", "fada tsakanin", "rigima",
                                             "rigingimu", "husuma", "arangama"]),
    ("hau", "displacement", "displacement", 2, ["gudun hijira", "yan hijira", "sun gudu", "mun gudu",
                                                "sun tsere", "mun tsere", "tserewa", "sun bar gidajensu",
                                                "mun bar gidajenmu", "sun bar kauye*", "mun bar kauye*"]),
    ("hau", "gbv", "gbv", 1, ["fyade", "cin zarafin mata", "auren dole", "yi mata fyade", "lalata da",
                              "cin zarafi*", "auren wuri", "dukan mata", "dukan matar*"]),
    ("hau", "threats", "armed_groups", 2, ["barazana*", "tsoratarwa", "tsoratar da", "za su kashe",
                                           "za su kawo hari"]),
    # Zarma (drafts)
    ("dje", "attack", "attack", 1, ["kaŋ ka zumbu", "zumbu*", "bindiga", "kwaara ton", "i na kwaara ton",
                                    "fuyey ton", "danji daŋ"]),
    ("dje", "armed_men", "armed_groups", 1, ["bonkoono*", "yanbindiga", "yan bindiga"]),
    ("dje", "weapons", "armed_groups", 1, ["bindiga*", "marfa*"]),
    ("dje", "kidnapping", "kidnapping", 1, ["boro zaa", "i na boro zaa", "zaa boro", "borey zaa",
                                            "i na borey zaa", "zankey zaa", "zanka zaa", "garkuwa", "fansa"]),
    ("dje", "killing", "attack", 1, ["boro wi", "i na boro wi", "n i wi", "i wi", "borey wi", "i na borey wi",
                                     "boro buu", "borey buu", "buukoy*"]),
    ("dje", "injury", "attack", 1, ["maray*", "kuri ga zuru"]),
    ("dje", "cattle_theft", "livestock_theft", 2, ["almaney zay", "alman zay", "hawey zay", "zay*"]),
    ("dje", "fighting", "intercommunal", 2, ["kakaw", "yanje*", "kakaw*", "care kar", "i na care kar"]),
    ("dje", "displacement", "displacement", 2, ["borey zuru", "iri zuru", "i zuru", "kwaara naŋ",
                                                "i na kwaara naŋ", "iri na kwaara naŋ", "gudun hijira"]),
    ("dje", "gbv", "gbv", 1, ["wayboro* gurzug*", "hiiji* tilas*", "tilas hiiji*", "wayboro* kar"]),
    ("dje", "threats", "armed_groups", 2, ["humburand*", "ka iri wi", "ga iri wi"]),
    # Fulfulde (drafts)
    ("fuv", "attack", "attack", 1, ["yanii e wuro", "wuro sunnii", "cuudi sunnii", "hari", "harin"]),
    ("fuv", "weapons", "armed_groups", 1, ["fetel*", "peteele", "bindiga*", "kaafahi"]),
    ("fuv", "kidnapping", "kidnapping", 1, ["nanngii yimbe", "yimbe nanngaama", "nanngii sukaabe", "garkuwa",
                                            "fansa"]),
    ("fuv", "killing", "attack", 1, ["warii", "warbe", "mbari", "mbarii", "warii yimbe", "yimbe maayii"]),
    ("fuv", "injury", "attack", 1, ["gaañ*", "barmi*", "barme*"]),
    ("fuv", "cattle_theft", "livestock_theft", 2, ["wujji nai", "wujjo", "wujjuɓe", "wujjube"]),
    ("fuv", "fighting", "intercommunal", 2, ["fitina", "gere", "haɓre", "haɓɓe"]),
    ("fuv", "displacement", "displacement", 2, ["dogii", "yimbe dogii", "perol", "perbe", "perii",
                                                "gudun hijira"]),
    ("fuv", "gbv", "gbv", 1, ["dewgal doole", "debbo fi*aama", "fi*ii debbo", "fyade"]),
    ("fuv", "threats", "armed_groups", 2, ["hulbin*", "kulol"]),
    # Kanuri (drafts: mostly loanwords of the region and French words)
    ("knc", "attack", "attack", 1, ["hari", "harin", "kai hari", "yaki", "attaqu*"]),
    ("knc", "armed_men", "armed_groups", 1, ["bindiga"]),
    ("knc", "weapons", "armed_groups", 1, ["bindiga*", "fusil*", "bom"]),
    ("knc", "kidnapping", "kidnapping", 1, ["garkuwa", "fansa", "kudin fansa", "otage*"]),
    ("knc", "injury", "attack", 1, ["rauni", "bless*"]),
    ("knc", "displacement", "displacement", 2, ["hijira*", "gudun hijira", "refugie*", "deplaces"]),
    ("knc", "gbv", "gbv", 1, ["fyade", "auren dole", "viol", "violee"]),
    ("knc", "threats", "armed_groups", 2, ["barazana*", "menac*"]),
    # Tamasheq (drafts: a few Tamasheq words, loanwords and French words)
    ("taq", "attack", "attack", 1, ["hari", "attaqu*", "atak*"]),
    ("taq", "killing", "attack", 1, ["ənɣan", "inɣa*", "tamattant"]),
    ("taq", "weapons", "armed_groups", 1, ["takoba*", "bindiga*", "fusil*", "albarud"]),
    ("taq", "kidnapping", "kidnapping", 1, ["garkuwa", "fansa", "otage*"]),
    ("taq", "injury", "attack", 1, ["bless*", "rauni"]),
    ("taq", "displacement", "displacement", 2, ["ərwəl*", "irwəl*", "hijira", "refugie*", "deplaces"]),
    ("taq", "gbv", "gbv", 1, ["viol", "violee", "mariage force"]),
    ("taq", "threats", "armed_groups", 2, ["menac*"]),
    # Arabic (drafts). Hamza and vowel marks fold away (إ = ا), so terms are written without them.
    ("arb", "attack", "attack", 1, ["*هجوم*", "*هاجم*", "اطلاق نار", "*غارة*", "*انفجار*", "*قصف*", "احرقوا",
                                    "حرقوا"]),
    ("arb", "armed_men", "armed_groups", 1, ["*مسلح*", "*ارهاب*"]),
    ("arb", "weapons", "armed_groups", 1, ["*سلاح*", "*سلحة*", "*بندقي*", "*رشاش*", "*ذخير*", "عبوة ناسفة"]),
    ("arb", "kidnapping", "kidnapping", 1, ["*اختطاف*", "*خطف*", "*رهائن*", "*رهين*", "*فدية*"]),
    ("arb", "killing", "attack", 1, ["*قتل*", "*مقتل*", "*قتيل*", "*مقتول*", "*جثث*", "*جثة*"]),
    ("arb", "injury", "attack", 1, ["*جرح*", "*جريح*"]),
    ("arb", "cattle_theft", "livestock_theft", 2, ["سرقة المواشي", "سرقة الماشية", "*مواشي* *مسروق*"]),
    ("arb", "fighting", "intercommunal", 2, ["*اشتباك*", "*نزاع*", "*قتال*", "*معارك*", "*معركة*", "*شجار*"]),
    ("arb", "displacement", "displacement", 2, ["*نازح*", "*نزوح*", "*لاجئ*", "*تهجير*", "*مهجر*", "فروا",
                                                "هربوا"]),
    ("arb", "gbv", "gbv", 1, ["*غتصب*", "*غتصاب*", "*تحرش*", "زواج قسري", "الزواج القسري", "*ختان*", "عنف جنسي",
                              "العنف الجنسي"]),
    ("arb", "threats", "armed_groups", 2, ["*تهديد*", "*هدد*", "*ترهيب*"]),
]


def load_keywords() -> int:
    """Add the default keywords that do not exist yet (admins' edits are kept). Returns how many."""
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


def refresh_flag_rules() -> dict[str, list[str]]:
    """Add to each shipped flag rule that exists the shipped terms it lacks (by rule name).

    Admins' edits are kept: their own terms, `active`, priority and category are not touched,
    and a term is only ever added. Each changed rule is recorded in the audit log. Returns
    {rule name: terms added} for the rules that changed; the caller commits.
    """
    rules = {rule.name: rule for rule in db.session.scalars(select(FlagRule))}
    changed: dict[str, list[str]] = {}
    for language, label, _category, _priority, terms in FLAG_RULES:
        rule = rules.get(f"{language or 'all'}:{label}")
        if rule is None:
            continue
        missing = [term for term in terms if term not in rule.terms]
        if missing:
            rule.terms = [*rule.terms, *missing]      # a new list: the JSON column sees the change
            changed[rule.name] = missing
            audit.record("seed", "flag_rule.refresh", "flag_rule", rule.id, added=len(missing))
    return changed
