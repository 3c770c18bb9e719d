"""Security checks of the CI run: pip-audit over the pinned requirements and bandit over
the package (high severity fails).

pip-audit needs its vulnerability database (PyPI's JSON API by default). Where that is
not reachable (a registry mirror that serves packages only), every dependency comes back
"could not be audited": this script then says so plainly and does not fail the run; any
vulnerability that is found fails it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def pip_audit() -> int:
    run = subprocess.run([str(BIN / "pip-audit"), "-r", "requirements.txt", "--format", "json",
                          "--progress-spinner", "off"], capture_output=True, text=True,
                         timeout=600)
    try:
        report = json.loads(run.stdout or "{}")
    except ValueError:
        print(f"pip-audit: no report ({run.stderr.strip()[:300]}); not audited")
        return 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version')}: {ids}")
    if vulnerable:
        return 1
    if not audited:
        print(f"pip-audit: the vulnerability database was not reachable from this machine; "
              f"0 of {len(deps)} dependencies could be audited (not a pass, not a failure)")
    else:
        print(f"pip-audit: {len(audited)} dependencies audited, no known vulnerability "
              f"({len(deps) - len(audited)} could not be audited)")
    return 0


def bandit() -> int:
    run = subprocess.run([str(BIN / "bandit"), "-r", "clinic", "-q", "-lll", "-f", "json"],
                         capture_output=True, text=True, timeout=600)
    high = json.loads(run.stdout or "{}").get("results", [])
    for issue in high:
        print(f"bandit: {issue['filename']}:{issue['line_number']}: {issue['issue_text']}")
    print(f"bandit: {len(high)} high-severity findings")
    return 1 if high else 0


if __name__ == "__main__":
    sys.exit(max(bandit(), pip_audit()))
