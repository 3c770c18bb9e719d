"""``flask --app clinic study``: validate, create, export (round-trips), show."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from clinic.models import AllocationSlot, Study, StudyArm, StudyMeasure, StudyTimepoint
from tests.api.conftest import bearer  # noqa: F401  (a bearer token for any role)

PROTOCOLS = Path(__file__).resolve().parents[2] / "docs" / "protocols"


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["study", *args])


def test_validate_a_shipped_file_and_a_broken_one(app, tmp_path):
    ok = _run(app, "validate", str(PROTOCOLS / "us-vs-fluoroscopy.toml"))
    assert ok.exit_code == 0 and "valid protocol for study USFL" in ok.output
    assert "note:" not in ok.output
    moved = tmp_path / "moved.toml"
    moved.write_text((PROTOCOLS / "us-vs-fluoroscopy.toml").read_text().replace(
        'label = "3 months"\noffset_days = 90', 'label = "3 months"\noffset_days = 120'))
    noted = _run(app, "validate", str(moved))
    assert noted.exit_code == 0 and "valid protocol for study USFL" in noted.output
    assert "note: '3 months' is scheduled on day 120" in noted.output
    created = _run(app, "create", str(moved), "--draft")  # said on create too
    assert created.exit_code == 0 and "Created study USFL (draft)" in created.output
    assert "note: '3 months' is scheduled on day 120" in created.output
    broken = tmp_path / "broken.toml"
    broken.write_text((PROTOCOLS / "us-vs-fluoroscopy.toml").read_text().replace(
        'instrument = "nrs"', 'instrument = "nrss"'))
    refused = _run(app, "validate", str(broken))
    assert refused.exit_code == 1
    assert "measures[0].instrument" in refused.output and "line " in refused.output


def test_create_export_and_create_again_gives_the_same_study(app, db, tmp_path, monkeypatch):
    created = _run(app, "create", str(PROTOCOLS / "ct-vs-fluoroscopy.toml"), "--seed", "5")
    assert created.exit_code == 0, created.output
    assert "allocation slots from seed 5" in created.output
    first = tmp_path / "first.toml"
    assert _run(app, "export", "CTFL", "--out", str(first)).exit_code == 0
    copy = tmp_path / "copy.toml"
    copy.write_text(first.read_text().replace('code = "CTFL"', 'code = "CTFL2"', 1))
    assert _run(app, "create", str(copy)).exit_code == 0
    draft = tmp_path / "draft.toml"  # said as the screens and --draft say it
    draft.write_text(first.read_text().replace('code = "CTFL"', 'code = "CTFL3"', 1))
    assert "Created study CTFL3 (draft)." in _run(app, "create", str(draft), "--draft").output
    second = tmp_path / "second.toml"
    assert _run(app, "export", "CTFL2", "--out", str(second)).exit_code == 0
    assert second.read_text() == copy.read_text(), "export of a created study re-creates it"
    monkeypatch.chdir(tmp_path)  # '-' is standard output, not a file named so
    piped = _run(app, "export", "CTFL2", "--out", "-")
    assert piped.exit_code == 0 and piped.output == copy.read_text()
    assert not (tmp_path / "-").exists()
    studies = {s.code: s for s in db.exec(select(Study))}
    for model in (StudyArm, StudyTimepoint, StudyMeasure):
        counts = [db.exec(select(func.count()).select_from(model).where(
            model.study_id == studies[code].id)).one() for code in ("CTFL", "CTFL2")]
        assert counts[0] == counts[1] > 0


def test_a_refused_create_leaves_nothing(app, db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((PROTOCOLS / "ct-vs-fluoroscopy.toml").read_text().replace(
        "window_before_days = 14", "window_before_days = 70", 1))
    result = _run(app, "create", str(bad), "--seed", "1")
    assert result.exit_code == 1 and "nothing was created" in result.output
    checked = _run(app, "validate", str(bad))
    assert checked.exit_code == 1 and "the file is not a valid protocol" in checked.output
    assert "created" not in checked.output, "validating creates nothing to speak of"
    assert db.exec(select(func.count()).select_from(Study)).one() == 0
    assert db.exec(select(func.count()).select_from(AllocationSlot)).one() == 0
    twice = _run(app, "create", str(PROTOCOLS / "ct-vs-fluoroscopy.toml"))
    again = _run(app, "create", str(PROTOCOLS / "ct-vs-fluoroscopy.toml"))
    assert twice.exit_code == 0 and again.exit_code == 1 and "exists" in again.output


def test_show_previews_the_schedule(app):
    _run(app, "create", str(PROTOCOLS / "us-mri-fusion-registry.toml"), "--draft")
    shown = _run(app, "show", "USMRI", "--procedure-date", "2026-12-10")
    assert shown.exit_code == 0, shown.output
    assert "registry, planning" in shown.output
    assert "1 hour         2026-12-10" in shown.output
    assert "3 months       2027-03-10  2027-02-24..2027-03-24" in shown.output
    unknown = _run(app, "show", "NOPE")  # a study named wrong is a usage error, as a bad
    assert unknown.exit_code == 2 and "No study with code" in unknown.output  # date is
    assert _run(app, "show", "USMRI", "--procedure-date", "2026-13-01").exit_code == 2
    february = _run(app, "show", "USMRI", "--procedure-date", "2026-02-31")
    assert february.exit_code == 2 and "2026-02-31 is no day of the calendar" in february.output
    assert "use YYYY-MM-DD" in _run(app, "show", "USMRI", "--procedure-date", "31/12").output


def test_validate_needs_no_database(tmp_path):
    """A coordinator checks a file on a laptop with no clinic database at all."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CLINIC_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "clinic", "study", "validate",
                           str(PROTOCOLS / "us-mri-fusion-registry.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "valid protocol for study USMRI" in done.stdout
    assert not (tmp_path / "none.db").exists() or (tmp_path / "none.db").stat().st_size == 0


def test_bad_paths_and_days_are_one_line_errors_not_tracebacks(app, tmp_path):
    """Found attacking the CLI: ``export --out`` into a missing folder was a
    FileNotFoundError traceback, ``show --procedure-date 9999-12-31`` an OverflowError."""
    _run(app, "create", str(PROTOCOLS / "us-mri-fusion-registry.toml"), "--draft")
    missing = _run(app, "export", "USMRI", "--out", str(tmp_path / "no" / "x.toml"))
    assert missing.exit_code == 2 and "there is no folder" in missing.output
    assert missing.exception is None or isinstance(missing.exception, SystemExit)
    edge = _run(app, "show", "USMRI", "--procedure-date", "9999-12-31")
    assert edge.exit_code == 2 and "a day from 1900 to 2100" in edge.output
    assert isinstance(edge.exception, SystemExit)


def test_the_protocol_json_the_api_gives_validates_on_the_command_line(app, client, clinic,
                                                                       bearer, tmp_path):  # noqa: F811
    """Found trying the API and the command line as a new user would: the protocol saved
    from GET /studies/DEMO/protocol as real.json was read as TOML ("Invalid statement")."""
    given = client.get(f"/api/v1/studies/{clinic.study.code}/protocol",
                       headers=bearer("coordinator"))
    assert given.status_code == 200
    saved = tmp_path / "real.json"
    saved.write_bytes(given.data)
    checked = _run(app, "validate", str(saved))
    assert checked.exit_code == 0, checked.output
    assert f"valid protocol for study {clinic.study.code}" in checked.output
    twice = tmp_path / "twice.json"
    twice.write_text('{"code": "A", "code": "B"}')
    refused = _run(app, "validate", str(twice))
    assert refused.exit_code == 1 and "not valid JSON: the key 'code' appears twice" in \
        refused.output
