"""Language detection of SMS free text, on n-gram profiles the project builds itself.

The stock langdetect profiles know neither Hausa nor Zarma (they call Hausa Swahili, Somali or
Indonesian), so the detector here is a langdetect ``DetectorFactory`` loaded only with the
profiles in ``langprofiles/``, built by :func:`build_profiles` from the openly licensed text in
``gateway/data/langid/`` (copied with its SOURCES.md) and the project-authored text in ``langdata/``. The same :func:`fold`
runs at build and at detect time, so a message typed in capitals on a feature phone, without
hooked letters or accents, looks to the detector like the text the profiles were built from.

Build the profiles with ``python -m gateway.services.language build``.
"""
from __future__ import annotations

import functools
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY as STOCK_PROFILES_DIRECTORY
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

from gateway.config import REFERENCE_DATA

HERE = Path(__file__).resolve().parent
PROFILES_DIR = HERE / "langprofiles"
LANGDATA_DIR = HERE / "langdata"
SOURCE_DIR = REFERENCE_DATA / "langid"

#: Languages the detector answers with (ISO 639-3). ``eng`` is an "other" class: Hausa
#: messages mix in English, and a message that is mostly English is better answered ``eng``
#: (which a caller ignores) than given a wrong language of ours. It costs about one point of
#: Hausa accuracy on the code-mixed tweets (bench/langid_bench.py).
LANGUAGES = ("arb", "dje", "eng", "fra", "fuv", "hau", "knc", "taq")

#: Training text per language: files in the source directory, or in ``langdata/`` when the
#: name starts with ``langdata/``. ``stock:xx`` is langdetect's own profile for ``xx``, its
#: n-grams folded one by one: English has no text of ours. Adding the stock French or Arabic
#: profile to our text changed nothing measurable (bench/langid_bench.py), so they stay out.
#: Zarma has 60 lines of real text (the UDHR) next to the project's own draft sentences: the
#: draft alone recognised 76 % of the real lines, both together 100 % in cross-validation.
TRAINING = {
    "arb": ("udhr_arb.txt",),
    "dje": ("udhr_dje.txt", "langdata/dje_seed.txt"),
    "eng": ("stock:en",),
    "fra": ("udhr_fra.txt", "langdata/fra_sms.txt"),
    "fuv": ("seed_fuv_Latn.txt", "udhr_fuv.txt"),
    "hau": ("hau_tweets_train.txt", "udhr_hau_NE.txt"),
    "knc": ("seed_knc_Latn.txt", "udhr_knc.txt"),
    "taq": ("seed_taq_Latn.txt",),
}

#: Every HOLDOUT_EVERY-th line of each training file (1-based line numbers 10, 20, ...) is kept
#: out of the profiles so the benchmark can measure on text the detector never saw.
HOLDOUT_EVERY = 10

#: n-grams seen this many times or fewer in a language's text are dropped from its profile.
#: 0, 1 and 2 measure the same; 4 loses Zarma, whose text is small. 1 keeps profiles small.
MIN_FREQ = 1

# Detector tuning (measured with bench/langid_bench.py): langdetect's defaults are 7 trials
# over up to 10,000 characters. An SMS is a few hundred characters at most; 3 trials take
# about 0.3 ms a message against 0.6 ms for 7, within 0.2 points of the same accuracy (1 trial
# loses up to a point). Each trial converges on one language, so a probability of 0.9 or more
# means the three trials agreed. A lower alpha helped Kanuri a little and cost Zarma more.
ALPHA = 0.5
N_TRIAL = 3
MAX_TEXT_LENGTH = 400
SEED = 0

#: Below this many letters there is nothing to detect: the answer is ``None``.
MIN_LETTERS = 3
#: :func:`is_confident` needs this probability and this many characters of folded text.
CONFIDENCE_THRESHOLD = 0.9
CONFIDENT_MIN_LENGTH = 15

# Letters that NFKD does not decompose, mapped to what a GSM-7 feature phone would send.
_LETTER_MAP = str.maketrans({
    "ɓ": "b", "ɗ": "d", "ƙ": "k", "ƴ": "y", "ƃ": "b", "ƭ": "t",
    "ŋ": "n", "ɳ": "n", "ɲ": "ny",
    "ə": "e", "ǝ": "e", "ɛ": "e", "ɔ": "o", "ɣ": "gh",
    "ʼ": "'", "’": "'", "‘": "'", "`": "'",
    # Look-alikes typed in the NLLB-Seed text: Greek alpha with vrachy for Tamasheq ă,
    # Cyrillic be for Fulfulde ɓ.
    "ᾰ": "a", "б": "b",
    "ß": "ss", "œ": "oe", "æ": "ae",
})
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+")
# Phone numbers, amounts and dates say nothing about the language.
_DIGITS_RE = re.compile(r"(?<!\w)[\d\W_]*\d[\d\W_]*(?!\w)")
_SPACE_RE = re.compile(r"\s+")


def _fold_chars(text: str) -> str:
    """Fold character by character: lowercase, plain letters, accents and harakat dropped."""
    # Lowercase first ("İ" lowers to i + combining dot), map letters last (NFKD can yield ŋ).
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_LETTER_MAP)


def fold(text: str) -> str:
    """Normalise text the way profiles are built: lowercase, ɓ→b ɗ→d ƙ→k ƴ→y, no accents,
    ŋ→n ɲ→ny, one kind of apostrophe, URLs and digit-only tokens dropped, single spaces.
    Arabic letters are kept (only their vowel marks, which are combining marks, go)."""
    text = _URL_RE.sub(" ", text or "")
    text = _fold_chars(text)
    text = _DIGITS_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def _letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


@dataclass(frozen=True)
class Detection:
    """The detected language (ISO 639-3, or None), its probability and every candidate."""

    language: str | None
    confidence: float
    candidates: list[tuple[str, float]] = field(default_factory=list)
    #: length of the folded text the answer was computed on (see :func:`is_confident`)
    text_length: int = 0


def is_confident(detection: Detection) -> bool:
    """True when a detection is sure enough to change a contact's recorded language."""
    return (
        detection.language is not None
        and detection.confidence >= CONFIDENCE_THRESHOLD
        and detection.text_length >= CONFIDENT_MIN_LENGTH
    )


class Detector:
    """A langdetect detector over the project's own profiles only, seeded for stable answers."""

    def __init__(self, profiles_dir: str | Path = PROFILES_DIR, prior: dict | None = None,
                 alpha: float = ALPHA, n_trial: int = N_TRIAL,
                 max_text_length: int = MAX_TEXT_LENGTH):
        # A factory of our own, never langdetect's module-level one (which loads the stock set).
        self.factory = DetectorFactory()
        self.factory.load_profile(str(profiles_dir))
        self.factory.set_seed(SEED)
        self.languages = self.factory.get_lang_list()
        self.prior = prior
        self.alpha = alpha
        self.n_trial = n_trial
        self.max_text_length = max_text_length

    def detect(self, text: str) -> Detection:
        """Detect the language of one message; ``language`` is None when there is too little."""
        folded = fold(text)
        if _letter_count(folded) < MIN_LETTERS:
            return Detection(None, 0.0, [], len(folded))
        detector = self.factory.create(alpha=self.alpha)
        detector.n_trial = self.n_trial  # langdetect has no setter for it
        detector.set_max_text_length(self.max_text_length)
        if self.prior:
            detector.set_prior_map(self.prior)
        detector.append(folded)
        try:
            detector.get_probabilities()
        except LangDetectException:  # no n-gram of the text is in any profile
            return Detection(None, 0.0, [], len(folded))
        candidates = sorted(
            ((lang, round(p, 4)) for lang, p in zip(self.languages, detector.langprob) if p >= 0.001),
            key=lambda pair: -pair[1],
        )
        if not candidates:
            return Detection(None, 0.0, [], len(folded))
        best, confidence = candidates[0]
        return Detection(best, confidence, candidates, len(folded))


@functools.lru_cache(maxsize=1)
def get_detector() -> Detector:
    """The detector over the committed profiles, loaded once per process."""
    return Detector()


def detect(text: str) -> Detection:
    """Detect the language of ``text`` with the committed profiles."""
    return get_detector().detect(text)


# --- building the profiles -------------------------------------------------------------------

def split_lines(path: str | Path) -> tuple[list[str], list[str]]:
    """Split a text file's non-blank lines into (training, held-out): every HOLDOUT_EVERY-th
    line of the file is held out. Lines starting with ``#`` are comments."""
    train, held_out = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            (held_out if number % HOLDOUT_EVERY == 0 else train).append(line)
    return train, held_out


def source_path(name: str, source_dir: Path) -> Path:
    """Where a TRAINING file name lives: ``langdata/…`` here, anything else in source_dir."""
    if name.startswith("langdata/"):
        return LANGDATA_DIR / name.removeprefix("langdata/")
    return source_dir / name


def _text_counts(lines: list[str]) -> Counter:
    """n-gram counts (1 to 3 characters) of folded lines, the way langdetect counts them."""
    profile = LangProfile("x")
    for line in lines:
        profile.update(fold(line))
    return Counter(profile.freq)


def _stock_counts(code: str) -> Counter:
    """langdetect's own profile for ``code``, its n-grams folded like our text."""
    with open(Path(STOCK_PROFILES_DIRECTORY) / code, encoding="utf-8") as handle:
        stock = json.load(handle)
    counts = Counter()
    for gram, count in stock["freq"].items():
        folded = _fold_chars(gram)
        # A fold that lengthens the gram (ɲ→ny) would give a 4-gram langdetect cannot use.
        if len(folded) == len(gram):
            counts[folded] += count
    return counts


def build_profile(lang: str, lines: list[str], stock: Counter | None = None,
                  min_freq: int = MIN_FREQ) -> LangProfile:
    """A langdetect profile for ``lang`` from text lines (folded here) and optional stock counts;
    n-grams of the text seen ``min_freq`` times or fewer are dropped (langdetect pruned stock)."""
    counts = Counter({g: c for g, c in _text_counts(lines).items() if c > min_freq}) + (stock or Counter())
    profile = LangProfile(lang)
    for gram, count in counts.items():
        profile.freq[gram] = count
        profile.n_words[len(gram) - 1] += count
    return profile


def write_profile(profile: LangProfile, out_dir: str | Path) -> Path:
    """Write a profile as langdetect's JSON, named after its language, into ``out_dir``."""
    path = Path(out_dir) / profile.name
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"name": profile.name, "freq": dict(sorted(profile.freq.items())),
                   "n_words": profile.n_words}, handle, ensure_ascii=False, separators=(",", ":"))
    return path


def training_text(lang: str, source_dir: str | Path = SOURCE_DIR, max_lines: int | None = None,
                  skip: tuple[str, ...] = ()) -> tuple[list[str], Counter]:
    """The training lines (held-out lines excluded) and stock counts of ``lang``'s sources,
    without the files named in ``skip``; ``max_lines`` caps the lines read from each file."""
    lines, stock = [], Counter()
    for name in TRAINING[lang]:
        if name in skip:
            continue
        if name.startswith("stock:"):
            stock.update(_stock_counts(name.removeprefix("stock:")))
        else:
            train, _ = split_lines(source_path(name, Path(source_dir)))
            lines += train[:max_lines] if max_lines else train
    return lines, stock


def build_profiles(source_dir: str | Path = SOURCE_DIR, out_dir: str | Path = PROFILES_DIR, *,
                   languages=LANGUAGES, max_lines: int | None = None,
                   min_freq: int = MIN_FREQ) -> dict:
    """Build one langdetect JSON profile per language into ``out_dir`` from the training part
    of each source (held-out lines excluded) and return a summary per language.

    ``max_lines`` caps the lines read from each file (for quick builds in tests)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for lang in languages:
        lines, stock = training_text(lang, source_dir, max_lines)
        profile = build_profile(lang, lines, stock, min_freq)
        write_profile(profile, out_dir)
        summary[lang] = {"sources": list(TRAINING[lang]), "training_lines": len(lines),
                         "ngrams": len(profile.freq)}
    get_detector.cache_clear()
    return summary


def main(argv: list[str]) -> int:
    """``python -m gateway.services.language build [SOURCE_DIR [OUT_DIR]]``"""
    if not argv or argv[0] != "build":
        print(main.__doc__, file=sys.stderr)
        return 2
    summary = build_profiles(*argv[1:3])
    for lang, info in summary.items():
        print(f"{lang}: {info['training_lines']} lines, {info['ngrams']} n-grams "
              f"from {', '.join(info['sources'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
