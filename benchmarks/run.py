"""Run every benchmark (benchmarks/bench_*.py), each in its own process; exit 1 if any missed its target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(script.name)
    print(
        "all benchmarks met their targets"
        if not failed
        else f"missed a target: {', '.join(failed)}"
    )
    sys.exit(1 if failed else 0)
