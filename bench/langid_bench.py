"""Benchmark of SMS language detection on held-out text (never used to build the profiles).

Run from the project root:  .venv/bin/python bench/langid_bench.py [--rebuild]

Every held-out line (each file's every 10th line, see ``language.split_lines``) is cut into
messages of at most 160 characters at word boundaries, and each message is detected three ways:
as written, in CAPITALS, and as a feature phone sends it (no hooked letters, no accents).

Zarma rests on little real text (60 lines of the UDHR, formal register): besides its 6 held-out
lines it is measured by k-fold cross-validation over all its real lines — the Zarma profile is
built from the other folds plus the project's own text, the held-out fold is detected, and the
folds are added up — and every French message is also run through each fold's detector to count
French taken for Zarma. The stock langdetect (its global profile set) runs on the same Hausa and
French messages as a baseline.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory  # noqa: E402
from langdetect.lang_detect_exception import LangDetectException  # noqa: E402

from gateway.services import language  # noqa: E402

SMS_LENGTH = 160
SHORT_LENGTH = 40
TARGETS = {"hau": 0.95, "fra": 0.97}
ZARMA_TARGET = 0.95
#: Zarma's real text (the rest of its training text is project-authored) and the folds over it.
ZARMA_REAL = "udhr_dje.txt"
FOLDS = 10
MAX_MS = 2.0
# Test sets: (row label, expected language, files). Programme page French is never trained on.
TEST_SETS = [
    ("hau tweets", "hau", ["hau_tweets_train.txt"]),
    ("hau UDHR (Niger)", "hau", ["udhr_hau_NE.txt"]),
    ("fra UDHR", "fra", ["udhr_fra.txt"]),
    ("fra SMS (self-authored)", "fra", ["langdata/fra_sms.txt"]),
    ("knc", "knc", ["seed_knc_Latn.txt", "udhr_knc.txt"]),
    ("fuv", "fuv", ["seed_fuv_Latn.txt", "udhr_fuv.txt"]),
    ("taq", "taq", ["seed_taq_Latn.txt"]),
    ("arb", "arb", ["udhr_arb.txt"]),
    ("dje UDHR (real)", "dje", [ZARMA_REAL]),
    ("dje (SELF-AUTHORED draft)", "dje", ["langdata/dje_seed.txt"]),
]
# The programme's own page (French), never trained on: bench/data/SOURCES.md.
PROGRAMME_PAGE = Path(__file__).resolve().parent / "data" / "programme-page-fr.txt"
HOOKS = str.maketrans("ɓɗƙƴƁƊƘƳ", "bdkyBDKY")


def chop(line: str, limit: int = SMS_LENGTH) -> list[str]:
    """Cut a line into messages of at most ``limit`` characters, at spaces."""
    messages, current = [], ""
    for word in line.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = word[:limit]
        current = candidate[:limit]
    if current:
        messages.append(current)
    return messages


def feature_phone(text: str) -> str:
    """What a GSM-7 phone sends: hooked letters and accents replaced by plain letters."""
    text = unicodedata.normalize("NFKD", text.translate(HOOKS))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


VARIANTS = {"as written": str, "CAPITALS": str.upper, "feature phone": feature_phone}


def messages_of(lines: list[str], limit: int = SMS_LENGTH) -> list[str]:
    """Lines cut into messages of at most ``limit`` characters; fragments with fewer than 10
    letters are left out (there is little to detect in them)."""
    return [m for line in lines for m in chop(line, limit) if sum(c.isalpha() for c in m) >= 10]


def load_test_sets(source_dir: Path, limit: int = SMS_LENGTH) -> list[tuple[str, str, list[str]]]:
    """Held-out messages of at most ``limit`` characters per test set."""
    def keep(line):
        return messages_of([line], limit)

    sets = []
    for label, lang, files in TEST_SETS:
        messages = []
        for name in files:
            _, held_out = language.split_lines(language.source_path(name, source_dir))
            messages += [m for line in held_out for m in keep(line)]
        sets.append((label, lang, messages))
    if PROGRAMME_PAGE.exists():
        lines = PROGRAMME_PAGE.read_text(encoding="utf-8").splitlines()
        messages = [m for line in lines if len(line) >= 40 for m in keep(line)]
        sets.append(("fra programme page (unseen)", "fra", messages))
    return sets


def run_ours(detector, sets, variants=VARIANTS):
    """Accuracy per (set, variant), confusions per language (with the counts of confident
    answers, ``confident`` and ``confident_right``), and mean ms per message."""
    results, confusion, elapsed, count = {}, defaultdict(Counter), 0.0, 0
    for label, lang, messages in sets:
        for variant, transform in variants.items():
            correct = 0
            for message in messages:
                text = transform(message)
                start = time.perf_counter()
                detection = detector.detect(text)
                elapsed += time.perf_counter() - start
                found = detection.language
                count += 1
                correct += found == lang
                if language.is_confident(detection):
                    confusion[lang]["confident"] += 1
                    confusion[lang]["confident_right"] += found == lang
                if found != lang:
                    confusion[lang][found or "none"] += 1
            results[label, variant] = (correct, len(messages))
    return results, confusion, 1000 * elapsed / max(count, 1)


def real_lines(path: Path) -> list[str]:
    """Every line of a source file (training and held-out alike), in file order."""
    train, held_out = language.split_lines(path)
    numbered = {line: n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines())}
    return sorted(train + held_out, key=lambda line: numbered.get(line, 0))


def cross_validate(source_dir: Path, profiles_dir: Path, french: list[str], lang: str = "dje",
                   real: str = ZARMA_REAL, folds: int = FOLDS, limit: int = SMS_LENGTH):
    """k-fold cross-validation of ``lang`` over the lines of its real text ``real``: per fold,
    its profile is built from the other folds plus its other (project) training text, the
    other languages keep the profiles in ``profiles_dir``, and the fold's messages (cut to
    ``limit`` characters) are detected in every variant. Folds are consecutive blocks of lines
    (neighbouring UDHR articles share words, so interleaved folds would flatter the figure).

    Returns {variant: (correct, total)}, the confusions, and how many of the ``french``
    messages (every variant, every fold's detector) were taken for ``lang``."""
    lines = real_lines(language.source_path(real, source_dir))
    project, stock = language.training_text(lang, source_dir, skip=(real,))
    scratch = Path(tempfile.mkdtemp(prefix="langprofiles-cv-"))
    for path in Path(profiles_dir).iterdir():
        if path.name != lang:
            shutil.copy(path, scratch / path.name)
    results, confusion, french_as_lang = defaultdict(lambda: [0, 0]), Counter(), 0
    try:
        for fold in range(folds):
            in_fold = [i * folds // len(lines) == fold for i in range(len(lines))]
            train = [line for line, held in zip(lines, in_fold) if not held]
            test = [line for line, held in zip(lines, in_fold) if held]
            language.write_profile(language.build_profile(lang, project + train, stock), scratch)
            detector = language.Detector(scratch)
            for variant, transform in VARIANTS.items():
                for message in messages_of(test, limit):
                    found = detector.detect(transform(message)).language
                    results[variant][0] += found == lang
                    results[variant][1] += 1
                    if found != lang:
                        confusion[found or "none"] += 1
                french_as_lang += sum(detector.detect(transform(m)).language == lang for m in french)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {v: tuple(r) for v, r in results.items()}, confusion, french_as_lang


def without_real_text(source_dir: Path, profiles_dir: Path, lang: str = "dje", real: str = ZARMA_REAL) -> str:
    """Accuracy on every real line (every variant) of a profile built without any real text."""
    project, stock = language.training_text(lang, source_dir, skip=(real,))
    messages = messages_of(real_lines(language.source_path(real, source_dir)))
    scratch = Path(tempfile.mkdtemp(prefix="langprofiles-ablation-"))
    try:
        for path in Path(profiles_dir).iterdir():
            shutil.copy(path, scratch / path.name)
        language.write_profile(language.build_profile(lang, project, stock), scratch)
        detector = language.Detector(scratch)
        found = [detector.detect(t(m)).language == lang for m in messages for t in VARIANTS.values()]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return f"{pct(sum(found), len(found)).strip()} of {len(found)}"


def text_size(path: Path) -> str:
    """Lines, words and characters of a text file's non-comment lines."""
    train, held_out = language.split_lines(path)
    lines = train + held_out
    return (f"{len(lines)} lines, {sum(len(line.split()) for line in lines):,} words, "
            f"{sum(len(line) for line in lines):,} characters")


def report_zarma(source_dir: Path, profiles_dir: Path, sets, results) -> None:
    """Zarma on its own: how little real text it rests on, cross-validated, and French kept apart."""
    french = [m for _label, lang, messages in sets if lang == "fra" for m in messages]
    real_path = language.source_path(ZARMA_REAL, source_dir)
    print(f"\nZarma (dje), reported separately. Real text: {ZARMA_REAL}, {text_size(real_path)} "
          "(the UDHR: formal register, not SMS);")
    for name in language.TRAINING["dje"]:
        if name != ZARMA_REAL:
            print(f"  plus project-authored draft text {name}: {text_size(language.source_path(name, source_dir))}")
    for length in (SMS_LENGTH, SHORT_LENGTH):
        cv, confusion, french_as_dje = cross_validate(source_dir, profiles_dir, french, limit=length)
        correct = sum(c for c, _ in cv.values())
        total = sum(t for _, t in cv.values())
        cells = ", ".join(f"{v} {pct(*cv[v]).strip()}" for v in VARIANTS)
        verdict = ""
        if length == SMS_LENGTH:
            verdict = f"  target {100 * ZARMA_TARGET:.0f}%: " + ("met" if correct >= ZARMA_TARGET * total else "MISSED")
        shown = ", ".join(f"{k} {v}" for k, v in confusion.most_common(4)) or "-"
        print(f"  {FOLDS}-fold cross-validation over the real lines, messages <= {length} chars: "
              f"{pct(correct, total).strip()} of {total}{verdict}")
        print(f"       {cells}; mistaken for: {shown}")
        print(f"       French messages taken for Zarma by the fold detectors: {french_as_dje} "
              f"of {len(french) * len(VARIANTS) * FOLDS}")
    print(f"  without the real text (profile from project text only, as before), all real lines: "
          f"{without_real_text(source_dir, profiles_dir)}")
    committed = sum(c for (label, _v), (c, _t) in results.items() if label == "dje UDHR (real)")
    held = sum(t for (label, _v), (_c, t) in results.items() if label == "dje UDHR (real)")
    print(f"  held-out real lines with the profiles measured above: {pct(committed, held).strip()} of {held}")


def run_stock(sets):
    """The stock langdetect on the as-written Hausa and French messages."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    rows, elapsed, count = [], 0.0, 0
    for label, lang, messages in sets:
        if lang not in ("hau", "fra"):
            continue
        labels = Counter()
        for message in messages:
            start = time.perf_counter()
            detector = factory.create()
            detector.append(message)
            try:
                found = detector.detect()
            except LangDetectException:
                found = "none"
            elapsed += time.perf_counter() - start
            count += 1
            labels[found] += 1
        correct = labels["fr"] if lang == "fra" else 0  # the stock set has no Hausa at all
        rows.append((label, correct, len(messages), labels.most_common(4)))
    return rows, 1000 * elapsed / max(count, 1)


def pct(correct: int, total: int) -> str:
    return f"{100 * correct / total:6.1f}%" if total else "    n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true",
                        help="build profiles into a temporary directory and measure those")
    parser.add_argument("--source-dir", type=Path, default=language.SOURCE_DIR)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    profiles = language.PROFILES_DIR
    if args.rebuild:
        profiles = Path(tempfile.mkdtemp(prefix="langprofiles-"))
        language.build_profiles(args.source_dir, profiles)
    detector = language.Detector(profiles)
    sets = load_test_sets(args.source_dir)
    results, confusion, ms = run_ours(detector, sets)

    print(f"Language detection on held-out messages (<= {SMS_LENGTH} chars), profiles: {profiles}")
    print(f"detector: langdetect, own profiles {detector.languages}, n_trial={detector.n_trial}, "
          f"alpha={detector.alpha}, max_text_length={detector.max_text_length}, seed={language.SEED}")
    header = f"{'test set':30} {'msgs':>5} " + " ".join(f"{v:>14}" for v in VARIANTS)
    print(header)
    print("-" * len(header))
    for label, lang, messages in sets:
        cells = " ".join(f"{pct(*results[label, v]):>14}" for v in VARIANTS)
        print(f"{label:30} {len(messages):5} {cells}")

    print("\nPer language, all variants together:")
    per_lang = defaultdict(lambda: [0, 0])
    for (label, _variant), (correct, total) in results.items():
        lang = next(lang for lab, lang, _ in sets if lab == label)
        per_lang[lang][0] += correct
        per_lang[lang][1] += total
    for lang in sorted(per_lang):
        correct, total = per_lang[lang]
        target = TARGETS.get(lang)
        verdict = ""
        if target is not None:
            verdict = f"  target {100 * target:.0f}%: " + ("met" if correct >= target * total else "MISSED")
        mistakes = Counter({k: v for k, v in confusion[lang].items() if not k.startswith("confident")})
        shown = ", ".join(f"{k} {v}" for k, v in mistakes.most_common(4)) or "-"
        confident = confusion[lang]["confident"]
        print(f"  {lang}: {pct(correct, total)} of {total:5}{verdict}   mistaken for: {shown}")
        print(f"       confident answers: {pct(confident, total)} of messages, "
              f"{pct(confusion[lang]['confident_right'], confident)} of them right")
    french = [(label, m) for label, lang, messages in sets if lang == "fra" for m in messages]
    as_dje = sum(detector.detect(transform(m)).language == "dje" for _l, m in french for transform in VARIANTS.values())
    print(f"\nFrench taken for Zarma: {as_dje} of {len(french) * len(VARIANTS)} French messages (all variants)")
    report_zarma(args.source_dir, profiles, sets, results)
    short_sets = load_test_sets(args.source_dir, SHORT_LENGTH)
    short, _, _ = run_ours(detector, short_sets, {"as written": str})
    print(f"\nShort messages (held-out lines cut at <= {SHORT_LENGTH} chars), as written:")
    for label, _lang, messages in short_sets:
        print(f"  {label:30} {len(messages):5} {pct(*short[label, 'as written']):>14}")
    print(f"\nmean time per message: {ms:.3f} ms  (target <= {MAX_MS} ms: "
          f"{'met' if ms <= MAX_MS else 'MISSED'})")

    if not args.no_baseline:
        rows, stock_ms = run_stock(sets)
        print("\nBaseline, stock langdetect (global profiles), same messages as written:")
        for label, correct, total, labels in rows:
            shown = ", ".join(f"{k} {v}" for k, v in labels)
            print(f"  {label:30} correct {pct(correct, total)}   labels: {shown}")
        print(f"  mean time per message: {stock_ms:.3f} ms")
    print("\nZarma rests on 60 lines of real text in a formal register plus draft text the project "
          "wrote itself: real Zarma SMS may do worse than these figures.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
