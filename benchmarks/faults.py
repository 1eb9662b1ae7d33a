"""Run the fault and replica tests and print the figures they measured: ``make faults``.

The PostgreSQL faults (a cut connection, two real replicas, a leader killed) run when
``DUTYBOT_TEST_DATABASE_URL`` names a PostgreSQL database the tests may create schemas in, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; without it they are skipped and say so.
docs/reliability.md lists what each test proves and the figures of the last run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_faults.py", "tests/test_replicas.py"]

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures.txt"
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *TESTS],
            cwd=ROOT,
            env={**os.environ, "DUTYBOT_FAULT_FIGURES": str(figures)},
        )
        print("\nFigures measured:")
        lines = figures.read_text(encoding="utf-8").splitlines() if figures.exists() else []
        print("\n".join(f"- {line}" for line in lines) or "- none (every test was skipped?)")
        if not os.environ.get("DUTYBOT_TEST_DATABASE_URL"):
            print("PostgreSQL faults skipped: set DUTYBOT_TEST_DATABASE_URL to run them.")
    sys.exit(result.returncode)
