"""Flag rules on real-looking messages in each language: what is flagged, with which label and
category, and what is not (ordinary feedback must stay quiet)."""
from __future__ import annotations

import pytest

from gateway.extensions import db
from gateway.models import FlagRule
from gateway.services.flagging import compile_term, evaluate

FLAGGED = [
    # French
    ("fra", "Bonsoir, des hommes armés sont passés à moto près de Ouallam cette nuit", "armed_men", "armed_groups", 1),
    ("fra", "ATTAQUE DU VILLAGE HIER SOIR, 3 MORTS", "attack", "attack", 1),
    ("fra", "Ils ont enlevé le chef du village et demandent une rançon", "kidnapping", "kidnapping", 1),
    ("fra", "vol de bétail a Tillia, 40 boeufs partis", "cattle_theft", "livestock_theft", 2),
    ("fra", "Affrontements entre agriculteurs et éleveurs au marché", "fighting", "intercommunal", 2),
    ("fra", "Un agent humanitaire demande de l'argent pour la distribution", "staff_abuse", "staff_abuse", 1),
    ("fra", "les champs ont été détruits par les animaux", "farmer_herder", "farmer_herder", 2),
    ("fra", "On dit que Boko Haram est revenu", "armed_groups", "armed_groups", 1),
    ("fra", "Deux bergers blessés par balle près du puits", "injury", "attack", 1),
    ("fra", "ils avaient des fusils et des kalach", "weapons", "armed_groups", 1),
    ("fra", "Les familles ont fui le village cette nuit, beaucoup de deplaces a Ouallam", "displacement",
     "displacement", 2),
    ("fra", "Ils ont menacé le chef de village s'il parle", "threats", "armed_groups", 2),
    ("fra", "MARIAGE FORCE D'UNE FILLE DE 13 ANS", "gbv", "gbv", 1),
    # Hausa (draft terms)
    ("hau", "’Yan bindiga sun kai hari a kauyenmu jiya da dare", "armed_men", "armed_groups", 1),
    ("hau", "An sace shanu guda talatin a Maine Soroa", "cattle_theft", "livestock_theft", 2),
    ("hau", "sun yi garkuwa da mutane biyu a hanyar Diffa", "kidnapping", "kidnapping", 1),
    ("hau", "An kashe mutum uku a kasuwa", "killing", "attack", 1),
    ("hau", "akwai rikici tsakanin manoma da makiyaya", "fighting", "intercommunal", 2),
    ("hau", "An yi wa yarinya fyade", "gbv", "gbv", 1),
    ("hau", "An yi fada a kasuwa jiya, mutane sun ji rauni", "injury", "attack", 1),
    ("hau", "an yi fada tsakanin manoma da makiyaya", "fighting", "intercommunal", 2),
    ("hau", "MUTANE BIYU SUN JIKKATA", "injury", "attack", 1),
    ("hau", "Sun kona gidaje a kauyen jiya da dare", "attack", "attack", 1),
    ("hau", "suna dauke da bindigogi da adduna", "weapons", "armed_groups", 1),
    ("hau", "Mutane da yawa sun gudu daga kauyen, yan gudun hijira sun iso Diffa", "displacement",
     "displacement", 2),
    ("hau", "Sun yi mana barazana cewa za su dawo", "threats", "armed_groups", 2),
    ("hau", "Masu garkuwa sun nemi kudin fansa", "kidnapping", "kidnapping", 1),
    ("hau", "Sun sace yara uku a hanyar gona", "kidnapping", "kidnapping", 1),
    ("hau", "Mutane hudu sun mutu a harin", "killing", "attack", 1),
    ("hau", "An yi lalata da wata yarinya", "gbv", "gbv", 1),
    # Zarma (draft terms)
    ("dje", "I na boro zaa Banibangou kwaara ra", "kidnapping", "kidnapping", 1),
    ("dje", "Almaney zay ne Filingue", "cattle_theft", "livestock_theft", 2),
    ("dje", "Bonkoonoyaŋ kaa kwaara ra", "armed_men", "armed_groups", 1),
    ("dje", "I na borey zaa Ayorou ga", "kidnapping", "kidnapping", 1),
    ("dje", "Boro hinka maray, kuri ga zuru", "injury", "attack", 1),
    ("dje", "I GONDA MARFAYAN", "weapons", "armed_groups", 1),
    ("dje", "I na kwaara ton bi cin", "attack", "attack", 1),
    ("dje", "Borey zuru, i na kwaara naŋ", "displacement", "displacement", 2),
    ("dje", "I na iri humburandi, i ne i ga iri wi", "threats", "armed_groups", 2),
    ("dje", "I na wayboro kar nda hiiji tilas", "gbv", "gbv", 1),
    ("dje", "Kakawey go no hawjiyey nda farkooy game", "fighting", "intercommunal", 2),
    ("dje", "Borey buu kwaara ra bi", "killing", "attack", 1),
    # Fulfulde (draft terms)
    ("fuv", "wujjo naʼi e nder wuro amen", "cattle_theft", "livestock_theft", 2),
    ("fuv", "Yimɓe tato gaañii", "injury", "attack", 1),
    ("fuv", "ɓe ngondi e peteele", "weapons", "armed_groups", 1),
    ("fuv", "ɓe nanngii yimɓe ɗiɗo ɓe njaɓii fansa", "kidnapping", "kidnapping", 1),
    ("fuv", "Yimɓe dogii wuro, perɓe ina ngari Tillaberi", "displacement", "displacement", 2),
    ("fuv", "DEWGAL DOOLE", "gbv", "gbv", 1),
    ("fuv", "ɓe hulbinii min jemma", "threats", "armed_groups", 2),
    ("fuv", "ɓe mbarii yimɓe tato", "killing", "attack", 1),
    ("fuv", "Wuro sunnii jemma", "attack", "attack", 1),
    # Kanuri (draft terms, loanwords)
    ("knc", "bindiga ngəla Diffa", "armed_men", "armed_groups", 1),
    ("knc", "garkuwa Bosso kəzəm", "kidnapping", "kidnapping", 1),
    ("knc", "Yaki mbeji, rauni kura", "injury", "attack", 1),
    ("knc", "hijirawa ngəla Diffa lan", "displacement", "displacement", 2),
    ("knc", "barazana mbeji", "threats", "armed_groups", 2),
    ("knc", "fyade kəzəm", "gbv", "gbv", 1),
    ("knc", "hari Bosso lan bəlin", "attack", "attack", 1),
    ("knc", "FUSIL KURA MBEJI", "weapons", "armed_groups", 1),
    # Tamasheq (draft terms)
    ("taq", "Tamattant dag Menaka", "killing", "attack", 1),
    ("taq", "ənɣan aləs", "killing", "attack", 1),
    ("taq", "takoba d bindiga", "weapons", "armed_groups", 1),
    ("taq", "ərwəlan kul", "displacement", "displacement", 2),
    ("taq", "garkuwa Inates", "kidnapping", "kidnapping", 1),
    ("taq", "menace dag adag", "threats", "armed_groups", 2),
    ("taq", "attaque dag Inates", "attack", "attack", 1),
    ("taq", "aləs iga blessé", "injury", "attack", 1),
    ("taq", "viol dag tamṭut", "gbv", "gbv", 1),
    # Arabic (draft terms)
    ("arb", "هجوم مسلحين على القرية الليلة الماضية", "attack", "attack", 1),
    ("arb", "اختطاف راعيين قرب البئر", "kidnapping", "kidnapping", 1),
    ("arb", "ثلاثة جرحى في السوق", "injury", "attack", 1),
    ("arb", "رجال يحملون أسلحة ورشاشات", "weapons", "armed_groups", 1),
    ("arb", "نزوح عشرات الأسر من القرية", "displacement", "displacement", 2),
    ("arb", "هددونا بالعودة", "threats", "armed_groups", 2),
    ("arb", "اغتصاب فتاة قرب البئر", "gbv", "gbv", 1),
    ("arb", "طلبوا فدية لإطلاق سراح الراعي", "kidnapping", "kidnapping", 1),
    ("arb", "قتال بين المزارعين والرعاة", "fighting", "intercommunal", 2),
]

QUIET = [
    ("fra", "Merci pour la formation des jeunes, c'était très utile"),
    ("fra", "Quand aura lieu la prochaine distribution de vivres ?"),
    ("fra", "Le violon du festival était magnifique, une violence de sons"),   # not "viol"
    ("fra", "Il gère bien le comité de paix"),
    ("hau", "Muna godiya da taimakon da kuka kawo mana"),
    ("hau", "Yaushe za a fara aikin Cash for Work?"),
    ("dje", "Fofo nda goyo kaŋ araŋ te iri se"),
    ("arb", "شكرا على التدريب"),
    # near-misses: the same words in their everyday sense
    ("fra", "L'armée a réparé la route, merci"),                 # armée, not arme
    ("fra", "La réunion est déplacée à jeudi"),
    ("fra", "il y a une fuite d'eau à la pompe"),
    ("fra", "Que Dieu vous bénisse"),
    ("hau", "Ya fada mana cewa taron zai kasance gobe"),          # fada: he told us
    ("hau", "Mun je fadar sarki domin gaisuwa"),                  # fada: the chief's court
    ("hau", "An kashe wutar lantarki tun jiya"),                  # the power was cut
    ("hau", "Na kashe kudi da yawa a kasuwa"),                    # spent money
    ("hau", "Labari mai dadi, an gyara rijiya"),
    ("dje", "Hari ga zuru nda boori, fofo"),                      # water flows
    ("dje", "Iri ga ba ir ma wayboro zaa"),                       # to marry
    ("fuv", "Egga na'i fuɗɗii"),                                  # transhumance, not flight
    ("fuv", "A jaaraama e ballal maa"),
    ("knc", "Nogaina, labar ngəla"),
    ("taq", "Tanemert, awal olaɣan"),
    ("arb", "سافروا إلى نيامي للتدريب"),                            # travelled (not فروا, fled)
    ("arb", "شيء رهيب، لا يوجد ماء"),                               # terrible, not terror
]

REQUIRED_KINDS = {"injury", "weapons", "attack", "kidnapping", "displacement", "gbv", "threats"}


@pytest.mark.parametrize("language", ["fra", "hau", "dje", "fuv", "knc", "taq", "arb"])
def test_every_language_has_every_kind_of_rule(rules, language):
    labels = {rule.label for rule in db.session.query(FlagRule).filter(FlagRule.language == language)}
    assert REQUIRED_KINDS <= labels, REQUIRED_KINDS - labels
    in_table = {label for lang, _t, label, _c, _p in FLAGGED if lang == language}
    assert REQUIRED_KINDS <= in_table, ("no flagged message in the table for", REQUIRED_KINDS - in_table)


@pytest.fixture
def rules(seeded):
    return db.session.query(FlagRule).count()


@pytest.mark.parametrize("language,text,label,category,priority", FLAGGED)
def test_flagged_messages(rules, language, text, label, category, priority):
    result = evaluate(text, {language})
    assert result.flagged, text
    assert label in result.labels
    assert result.category_code == category or category in ("attack", "armed_groups")
    assert result.priority == priority


@pytest.mark.parametrize("language,text", QUIET)
def test_ordinary_feedback_is_not_flagged(rules, language, text):
    result = evaluate(text, {language})
    assert not result.flagged, (text, result.rules)


def test_rules_of_other_languages_do_not_apply(rules):
    # "gere" is war in Fulfulde, "gère" manages in French.
    assert not evaluate("il gere le comite", {"fra"}).flagged
    assert evaluate("gere e nder wuro", {"fuv"}).flagged


def test_sensitive_category_wins(rules):
    result = evaluate("Des hommes armés ont violé une femme", {"fra"})
    assert result.category_code == "gbv"


@pytest.mark.parametrize("term,text,hit", [
    ("enlev*", "ils ont enleve deux enfants", True),
    ("enlev*", "prelevement", False),
    ("vol* de betail", "vols  de  betail", True),
    ("viol", "violence", False),
    ("*هجوم*", "الهجوم", True),
])
def test_terms_match_on_word_boundaries_with_stems(term, text, hit):
    assert bool(compile_term(term).search(text)) is hit


def test_rules_are_data_admins_can_edit(rules):
    assert not evaluate("les criquets mangent tout", {"fra"}).flagged
    db.session.add(FlagRule(name="fra:locusts", language="fra", terms=["criquet*"], label="locusts", priority=2))
    db.session.commit()
    assert evaluate("les criquets mangent tout", {"fra"}).labels == ["locusts"]
    rule = db.session.query(FlagRule).filter_by(name="fra:attack").one()
    rule.active = False
    db.session.commit()
    assert "attack" not in evaluate("attaque du village", {"fra"}).labels


def test_seed_is_idempotent_and_keeps_admin_edits(rules):
    from gateway.models import Keyword
    from gateway.services.rules_seed import load_flag_rules, load_keywords
    rule = db.session.query(FlagRule).filter_by(name="hau:attack").one()
    rule.terms = ["hari"]
    db.session.commit()
    assert load_flag_rules() == 0 and load_keywords() == 0
    assert db.session.query(FlagRule).filter_by(name="hau:attack").one().terms == ["hari"]
    assert db.session.query(Keyword).filter_by(word="arret").one().action == "stop"


def test_seed_refresh_rules_brings_an_installed_database_up_to_date_and_keeps_admin_edits(rules, runner):
    """An installation seeded by an earlier release holds fewer terms: `seed --refresh-rules`
    adds this release's terms, keeps what admins added and leaves a rule they switched off off."""
    from gateway.models import AuditEntry
    from gateway.services.rules_seed import FLAG_RULES
    shipped = {f"{lang or 'all'}:{label}": terms for lang, label, _c, _p, terms in FLAG_RULES}
    attack = db.session.query(FlagRule).filter_by(name="hau:attack").one()
    attack.terms = [shipped["hau:attack"][0], "sabon kalma"]       # older release + an admin's term
    killing = db.session.query(FlagRule).filter_by(name="fra:killing").one()
    killing.terms, killing.active, killing.priority = ["tue"], False, 3
    db.session.commit()
    assert "killing" not in evaluate("ils ont massacre les bergers", {"fra"}).labels

    result = runner.invoke(args=["seed", "--no-demo", "--refresh-rules"])
    assert result.exit_code == 0, result.output
    assert "flag rules refreshed: 2 rules" in result.output
    db.session.expire_all()
    attack = db.session.query(FlagRule).filter_by(name="hau:attack").one()
    assert attack.terms[:2] == [shipped["hau:attack"][0], "sabon kalma"]
    assert set(attack.terms) == set(shipped["hau:attack"]) | {"sabon kalma"}
    killing = db.session.query(FlagRule).filter_by(name="fra:killing").one()
    assert set(killing.terms) == set(shipped["fra:killing"])
    assert killing.active is False and killing.priority == 3           # the admin's choices stay
    assert db.session.query(AuditEntry).filter_by(action="flag_rule.refresh").count() == 2

    again = runner.invoke(args=["seed", "--no-demo", "--refresh-rules"])
    assert "flag rules refreshed: 0 rules, 0 terms added" in again.output
