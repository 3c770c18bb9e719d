"""scripts/bench_stats.py runs end to end (tiny size, without R)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_smoke() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "scripts" / "bench_stats.py"),
         "--sizes", "60", "--no-r"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["patients", "rows", "python"]
    assert lines[1].split()[:2] == ["60", "360"]
