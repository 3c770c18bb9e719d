import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHECK = (
    "import sys\n"
    "import clinic.scoring, clinic.scheduling.windows, clinic.protocol.allocation\n"
    "import clinic.protocol.eligibility_rules, clinic.scoring.instruments\n"
    "roots = {m.split('.')[0] for m in sys.modules}\n"
    "bad = sorted(roots & {'flask', 'sqlalchemy', 'sqlmodel'})\n"
    "assert not bad, bad\n"
    "print('ok')\n"
)


def test_pure_core_does_not_import_flask_or_sqlalchemy():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
