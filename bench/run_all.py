"""Run every benchmark under bench/ (files named *_bench.py) one after the other.

Each prints its own figures against a baseline measured in the same run; this script only
sequences them (never in parallel: they would disturb each other on a 2-core machine) and
exits non-zero if one fails.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    """Run the named benchmarks (default: all); return the number that failed."""
    scripts = sorted(HERE.glob("*_bench.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.name for n in names)]
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        failed += result.returncode != 0
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
