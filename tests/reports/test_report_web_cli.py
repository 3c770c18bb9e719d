"""The report page, its downloads (same code as the CLI), and the report command."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.reports.helpers import GAP_STUDY, populate
from tests.web.helpers import login


def test_physician_sees_the_report_page_and_downloads_it(app, session):
    populate(session, GAP_STUDY, 6)
    physician, nurse = make_user(session, "physician"), make_user(session, "nurse")
    session.commit()
    client = login(app.test_client(), physician)
    listing = client.get("/reports")
    assert listing.status_code == 200 and b"/studies/GAP/report" in listing.data
    page = client.get("/studies/GAP/report?as_of=2026-12-01&sites=NORTH")
    assert page.status_code == 200
    assert b"Table 3. Outcomes at each timepoint" in page.data
    assert b"<svg" in page.data and b"Participant flow" in page.data
    assert b"ignored-filters" not in page.data
    typed = client.get("/studies/GAP/report?as_of=2026-12-01&from=garbage&arm=ZZ")
    assert b"Not filters of the report, so not applied: arm, from." in typed.data
    pdf = client.get("/studies/GAP/report.pdf?as_of=2026-12-01")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    zipped = client.get("/studies/GAP/report/download/csv?as_of=2026-12-01")
    assert zipped.status_code == 200 and zipped.data[:2] == b"PK"
    assert client.get("/studies/GAP/report?date_from=2026-02-01&date_to=2026-01-01"
                      ).status_code == 422
    future = client.get("/studies/GAP/report?as_of=2099-01-01")  # every visit not due yet
    assert future.status_code == 422  # would have counted as missed (a new-user walk)
    assert b"counted as of a day that has come" in future.data
    assert b'name="as_of" aria-describedby="as_of-help" value="2099-01-01"' in future.data
    assert client.get("/studies/NOPE/report").status_code == 404
    nurse_client = login(app.test_client(), nurse)
    assert nurse_client.get("/studies/GAP/report").status_code == 403
    assert nurse_client.get("/studies/GAP/report.pdf").status_code == 403


def test_report_command_writes_each_format(app, session, tmp_path):
    populate(session, GAP_STUDY, 6)
    runner = app.test_cli_runner()
    for fmt, out in (("pdf", tmp_path / "r.pdf"), ("xlsx", tmp_path / "r.xlsx"),
                     ("html", tmp_path / "r.html"), ("sav", tmp_path / "r.sav"),
                     ("csv", tmp_path / "csv")):
        result = runner.invoke(args=["report", "--study", "GAP", "--format", fmt, "--out",
                                     str(out), "--as-of", "2026-12-01", "--site", "NORTH"])
        assert result.exit_code == 0, result.output
        assert "patients included" in result.output  # progress
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "r_dictionary.csv").exists()
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "analysis_long.csv", "analysis_wide.csv", "data_dictionary.csv", "report_stamp.txt",
        "report_tables.csv"]
    bad = runner.invoke(args=["report", "--study", "NOPE", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code != 0 and "NOPE" in bad.output


def test_an_unknown_arm_or_site_is_refused_by_name_a_code_in_any_case_is_taken(app, session,
                                                                               tmp_path):
    """Found testing as a new user would: --arm ZZ made the PDF crash (tables without a
    column), the web answered 500, and --site MARS gave an empty report without a word."""
    populate(session, GAP_STUDY, 6)
    physician = make_user(session, "physician")
    session.commit()
    client = login(app.test_client(), physician)
    page = client.get("/studies/GAP/report?arms=ZZ&sites=MARS")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Unknown arm(s) of GAP: ZZ. Choose from: A, B." in text
    assert "Unknown site(s): MARS." in text
    for url in ("/studies/GAP/report.pdf?arms=ZZ", "/studies/GAP/report/download/xlsx?sites=X"):
        refused = client.get(url)
        assert refused.status_code == 422 and refused.mimetype == "text/html"
        assert "The report was not built: Unknown" in refused.get_data(as_text=True)
    assert client.get("/studies/GAP/report.pdf?arms=a&sites=north").status_code == 200
    runner = app.test_cli_runner()
    for option, value in (("--arm", "ZZ"), ("--site", "MARS")):
        result = runner.invoke(args=["report", "--study", "GAP", "--out",
                                     str(tmp_path / "x.pdf"), option, value])
        assert result.exit_code == 2 and "Unknown" in result.output and value in result.output
        assert f"Error: {option}: Unknown" in result.output  # named as the option is typed
    level = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path / "x.pdf"),
                                "--level", "L9-L10"])  # the choices, as --arm gives them
    assert level.exit_code == 2 and "Unknown level(s): L9-L10. Choose from: " in level.output
    bad_day = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path / "x.pdf"),
                                  "--from", "2026-13-01"])
    assert bad_day.exit_code == 2 and "Error: --from: Not a date" in bad_day.output
    taken = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path / "a.pdf"),
                                "--arm", "a", "--quiet"])
    assert taken.exit_code == 0, taken.output
    assert not (tmp_path / "x.pdf").exists()


def test_report_out_a_folder_writes_in_it_a_missing_folder_is_refused(app, session, tmp_path):
    """Found testing as a new user would: --out an existing folder ended in a traceback
    (IsADirectoryError), and a mistyped folder was made up without a word."""
    populate(session, GAP_STUDY, 4)
    runner = app.test_cli_runner()
    into = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path), "--quiet"])
    assert into.exit_code == 0, into.output
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    missing = tmp_path / "no" / "such"
    refused = runner.invoke(args=["report", "--study", "GAP", "--out", str(missing / "r.pdf")])
    assert refused.exit_code == 2 and "There is no folder" in refused.output
    assert "patients included" not in refused.output, "refused before the report is built"
    assert not (tmp_path / "no").exists()
    a_file = tmp_path / "tables"
    a_file.write_text("kept")
    csv = runner.invoke(args=["report", "--study", "GAP", "--format", "csv", "--out",
                              str(a_file)])
    assert csv.exit_code == 2 and "is a file: csv writes several files" in csv.output
    named = runner.invoke(args=["report", "--study", "GAP", "--format", "csv", "--out",
                                str(tmp_path / "report.pdf")])
    assert named.exit_code == 2 and "name the file report.zip" in named.output
    empty = runner.invoke(args=["report", "--study", "GAP", "--out", ""])
    assert empty.exit_code == 2 and "--out was given an empty value" in empty.output
    here = tmp_path / "here"
    here.mkdir()
    with pytest.MonkeyPatch.context() as patch:  # found re-testing as a new user would:
        patch.chdir(here)  # "--out ." (the current folder) was refused as empty
        dot = runner.invoke(args=["report", "--study", "GAP", "--format", "csv", "--out",
                                  ".", "--as-of", "2026-12-01", "--quiet"])
    assert dot.exit_code == 0, dot.output
    assert ".csv" in {p.suffix for p in here.iterdir()}
    # found trying the command line as a new user would: a folder that takes no file
    # answered "No such file or directory", which read as a typo
    proc = runner.invoke(args=["report", "--study", "GAP", "--out", "/proc/r.pdf", "--quiet"])
    assert proc.exit_code == 1 and "the folder /proc does not take new files" in proc.output
    tables = runner.invoke(args=["report", "--study", "GAP", "--format", "csv", "--out",
                                 "/proc/tables", "--quiet"])  # a folder it cannot make
    assert tables.exit_code == 1 and "Could not write /proc/tables" in tables.output
    assert "Traceback" not in tables.output


def test_report_csv_out_a_zip_writes_one_archive(app, session, tmp_path):
    """Found trying the CLI as a new user would: ``--format csv --out x.zip`` made a
    folder named x.zip. It writes the archive the web download gives, byte for byte."""
    import zipfile

    populate(session, GAP_STUDY, 4)
    runner = app.test_cli_runner()
    out = tmp_path / "gap.zip"
    result = runner.invoke(args=["report", "--study", "GAP", "--format", "csv", "--out",
                                 str(out), "--as-of", "2026-12-01", "--quiet"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and result.output.strip() == str(out)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "analysis_long.csv", "analysis_wide.csv", "data_dictionary.csv",
            "report_stamp.txt", "report_tables.csv"]
    physician = make_user(session, "physician")
    session.commit()
    client = login(app.test_client(), physician)
    web = client.get("/studies/GAP/report/download/csv?as_of=2026-12-01")
    assert web.data == out.read_bytes()
    (tmp_path / "a_folder.zip").mkdir()
    refused = runner.invoke(args=["report", "--study", "GAP", "--format", "csv", "--out",
                                  str(tmp_path / "a_folder.zip")])
    assert refused.exit_code == 2 and "is a folder" in refused.output


def test_report_format_follows_the_file_name_and_a_contradiction_is_refused(app, session,
                                                                            tmp_path):
    """--out report.xlsx wrote a PDF under that name (found trying the command line as a
    new user would): the ending now names the format, and one that contradicts --format
    is refused before anything is built."""
    populate(session, GAP_STUDY, 6)
    runner = app.test_cli_runner()
    taken = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path / "r.xlsx"),
                                "--as-of", "2026-12-01", "--quiet"])
    assert taken.exit_code == 0, taken.output
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"  # a workbook, not a PDF
    refused = runner.invoke(args=["report", "--study", "GAP", "--format", "pdf", "--out",
                                  str(tmp_path / "x.xlsx")])
    assert refused.exit_code == 2
    assert ("--out x.xlsx ends in .xlsx but --format is pdf: name the file x.pdf, or give "
            "--format xlsx.") in refused.output
    assert not (tmp_path / "x.xlsx").exists()
    plain = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path / "plain"),
                                "--as-of", "2026-12-01", "--quiet"])
    assert plain.exit_code == 0 and (tmp_path / "plain").read_bytes().startswith(b"%PDF")
    zipped = runner.invoke(args=["report", "--study", "GAP", "--out", str(tmp_path / "t.zip"),
                                 "--as-of", "2026-12-01", "--quiet"])
    assert zipped.exit_code == 0 and (tmp_path / "t.zip").read_bytes()[:2] == b"PK"
    for args, said in (
            (["--out", "r.docx"], ".docx is not an ending this command writes"),
            (["--format", "html", "--out", "c.zip"], "name the file c.html, or give "
                                                     "--format csv"),
            (["--format", "csv", "--out", "t.csv"], "--format csv writes several files, not "
                                                    "one .csv file: name a .zip file (t.zip) "
                                                    "or a folder (t)")):
        refused = runner.invoke(args=["report", "--study", "GAP", *args[:-1],
                                      str(tmp_path / args[-1])])
        assert refused.exit_code == 2 and said in refused.output, refused.output
        assert not (tmp_path / args[-1]).exists()
    upper = runner.invoke(args=["report", "--study", "GAP", "--format", "PDF", "--out",
                                str(tmp_path / "u.pdf"), "--as-of", "2026-12-01", "--quiet"])
    assert upper.exit_code == 0 and (tmp_path / "u.pdf").read_bytes().startswith(b"%PDF")


def test_an_option_given_an_empty_value_is_refused(app, session, tmp_path):
    """``--as-of ""`` made a report as of today (found trying the command line as a new
    user would): a report for another day than the one asked for."""
    populate(session, GAP_STUDY, 6)
    runner = app.test_cli_runner()
    for option in ("--as-of", "--from", "--to", "--site"):
        refused = runner.invoke(args=["report", "--study", "GAP", "--out",
                                      str(tmp_path / "r.pdf"), option, " ", "--quiet"])
        assert refused.exit_code == 2, refused.output
        assert f"{option} was given an empty value" in refused.output
        assert not (tmp_path / "r.pdf").exists()


def test_every_command_refuses_an_empty_value(app, session, tmp_path, monkeypatch):
    """Found trying the command line as a new user would: `audit export --patient ""`
    exported the whole study, `fhir export --out ""` wrote into the current folder."""
    populate(session, GAP_STUDY, 6)
    monkeypatch.chdir(tmp_path)
    runner = app.test_cli_runner()
    for args, blank in (
            (["audit", "export", "--study", "GAP", "--format", "csv", "--out", "a.csv",
              "--patient", ""], "--patient"),
            (["fhir", "export", "--study", "GAP", "--out", ""], "--out"),
            (["fhir", "export", "--study", "GAP", "--out="], "--out"),
            (["report", "--study", "GAP", "--out", "r.pdf", "--arm", "\t"], "--arm")):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 2, (args, refused.output)
        assert f"{blank} was given an empty value" in refused.output
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("clinic.db")] == []


def test_an_empty_argument_is_named_and_the_usage_is_the_commands(app):
    """Found re-testing as a new user would: `study show ""` said "An argument was given
    an empty value: … leave the option out", and pointed to the group's help."""
    refused = app.test_cli_runner().invoke(args=["study", "show", ""])
    assert refused.exit_code == 2
    assert "Argument STUDY is empty: give it a value." in refused.output
    assert "study show --help" in refused.output
