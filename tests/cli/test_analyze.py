"""analyze: a statistician's CSV in, the engine's numbers out (text and JSON)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlmodel import select

from clinic.models import Assessment, Enrollment, Patient, Score, StudyArm, StudyTimepoint
from clinic.stats import compare_groups, describe, friedman
from clinic.stats.format import format_median_iqr, format_p, format_statistic

ORDER = ["baseline", "day_1", "week_1", "month_1", "month_3", "month_6"]


def _demo_vas_csv(app, session, path) -> pd.DataFrame:
    assert app.test_cli_runner().invoke(args=["seed-demo", "--patients", "60"]).exit_code == 0
    rows = session.exec(
        select(Patient.study_code, StudyArm.code, StudyTimepoint.code, Score.value)
        .join(Assessment, Assessment.id == Score.assessment_id)
        .join(Patient, Patient.id == Assessment.patient_id)
        .join(Enrollment, Enrollment.patient_id == Patient.id)
        .join(StudyArm, StudyArm.id == Enrollment.arm_id)
        .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
        .where(Score.instrument == "vas")).all()
    frame = pd.DataFrame(rows, columns=["subject", "arm", "timepoint", "vas"])
    frame.to_csv(path, index=False)
    return frame


def test_analyze_prints_the_engines_numbers(app, session, tmp_path):
    csv = tmp_path / "vas.csv"
    frame = _demo_vas_csv(app, session, csv)
    out = tmp_path / "vas.json"
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(csv), "--subject", "subject", "--group", "arm",
        "--timepoint", "timepoint", "--value", "vas", "--order", ",".join(ORDER),
        "--json", str(out)])
    assert result.exit_code == 0, result.output
    month_1 = frame[frame.timepoint == "month_1"]
    groups = {arm: month_1[month_1.arm == arm].vas.tolist() for arm in ("A", "B")}
    comparison = compare_groups(groups)
    line = next(x for x in result.output.splitlines() if x.startswith("month_1"))
    assert format_p(comparison.p) in line
    for values in groups.values():
        d = describe(values)
        assert f"{format_median_iqr(d.median, d.q1, d.q3)} [n={d.n}]" in line
    arm_a = frame[frame.arm == "A"]
    within = friedman(arm_a, subject="subject", timepoint="timepoint", value="vas", order=ORDER)
    assert f"chi2 = {format_statistic(within.statistic)}" in result.output
    assert json.loads(out.read_text())  # machine-readable copy written


def test_analyze_names_missing_columns(app, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("id,arm,time,score\n1,A,baseline,3\n")
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(csv), "--subject", "subject", "--group", "arm",
        "--timepoint", "time", "--value", "vas"])
    assert result.exit_code == 2
    assert "subject, vas" in result.output


@pytest.mark.parametrize("content, said", [
    (b"", "is empty: no header row"),
    (b"subject,arm,time,vas\n", "has a header row and no data rows"),
    (b'subject,arm,time,vas\n1,"A,baseline,3\n', "is not a readable CSV file"),
])
def test_a_file_that_is_no_table_gets_one_line_not_a_traceback(app, tmp_path, content, said):
    """Found trying the command line as a new user would: an empty file, a header alone
    and an unclosed quote each printed a pandas traceback (or an empty analysis)."""
    csv = tmp_path / "in.csv"
    csv.write_bytes(content)
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(csv), "--subject", "subject", "--group", "arm",
        "--timepoint", "time", "--value", "vas"])
    assert result.exit_code == 1 and said in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(
        result.exception, SystemExit)


def test_an_excel_csv_in_windows_1252_is_read_and_said_so(app, tmp_path):
    csv = tmp_path / "excel.csv"
    rows = ["subject,arm,time,vas"] + [f"{i},Fluoroscopía,{t},{i % 5}" for i in range(1, 7)
                                       for t in ("baseline", "1 month")]
    csv.write_bytes("\n".join(rows).encode("cp1252"))
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(csv), "--subject", "subject", "--group", "arm",
        "--timepoint", "time", "--value", "vas"])
    assert result.exit_code == 0, result.output
    assert "Fluoroscopía" in result.output and "read as Windows-1252" in result.stderr


def test_a_value_that_is_no_number_is_named_by_its_line(app, tmp_path):
    """'x7' on line 5 was reported as "non-numeric value '5'", the column's first, good,
    cell (found trying the command line as a new user would)."""
    csv = tmp_path / "in.csv"
    csv.write_text("subject,arm,time,vas\n1,A,baseline,5\n1,A,day_1,4\n2,B,baseline,7\n"
                   "2,B,day_1,x7\n3,B,day_1,\n3,B,baseline,abc\n4,A,day_1,n/a\n")
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(csv), "--subject", "subject", "--group", "arm",
        "--timepoint", "time", "--value", "vas"])
    assert result.exit_code == 1
    assert "line 5 (column vas): 'x7' is not a number" in result.output
    assert "(2 such cells in all.)" in result.output  # abc too; empty and n/a are missing


def test_analyze_refuses_a_group_that_is_the_subject_and_a_json_not_named_so(app, tmp_path):
    """Found trying the command line as a new user would: --group naming the subject
    column ran one group per subject without a word, --json res.txt wrote JSON into a .txt
    file, and a duplicate row was named as a Python list ("[1]")."""
    csv = tmp_path / "vas.csv"
    rows = [(s, "AB"[s % 2], tp, v) for s in range(1, 7) for tp, v in (("b", 6), ("m1", 3))]
    pd.DataFrame(rows, columns=["id", "arm", "tp", "vas"]).to_csv(csv, index=False)
    runner = app.test_cli_runner()
    base = ["analyze", "--csv", str(csv), "--subject", "id", "--timepoint", "tp",
            "--value", "vas"]
    same = runner.invoke(args=[*base, "--group", "id"])
    assert same.exit_code == 2 and "'id' is also the --subject column" in same.output
    same_tp = runner.invoke(args=[*base, "--group", "tp"])
    assert same_tp.exit_code == 2 and "--group and --timepoint both name the column 'tp'" \
        in same_tp.output
    twice = runner.invoke(args=[*base, "--group", "arm", "--order", "b,m1,b"])
    assert twice.exit_code == 2 and "--order names b more than once" in twice.output
    txt = runner.invoke(args=[*base, "--group", "arm", "--json", str(tmp_path / "r.txt")])
    assert txt.exit_code == 2 and "name a .json file" in txt.output
    assert not (tmp_path / "r.txt").exists()
    pd.DataFrame([*rows, rows[0]], columns=["id", "arm", "tp", "vas"]).to_csv(csv, index=False)
    dup = runner.invoke(args=[*base, "--group", "arm"])
    assert dup.exit_code == 1 and "subject(s) 1 have more than one row" in dup.output
    assert "[" not in dup.output


def _analyze(app, csv, *extra: str):
    return app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(csv), "--subject", "subject", "--group", "arm",
        "--timepoint", "time", "--value", "vas", *extra])


def test_a_column_named_twice_is_refused_not_the_first_taken(app, tmp_path):
    """Found trying the command line as a new user would: a file with two 'vas' columns
    was analysed on the first without a word (pandas names the second 'vas.1')."""
    csv = tmp_path / "twice.csv"
    csv.write_text("subject,arm,time,vas,vas\n1,A,b,5,1\n1,A,m1,4,2\n2,B,b,7,3\n2,B,m1,3,4\n")
    result = _analyze(app, csv)
    assert result.exit_code == 2
    assert "has 2 columns named 'vas' (columns 4, 5): rename all but one" in result.output


def test_a_semicolon_file_with_decimal_commas_reads_as_the_comma_file(app, tmp_path):
    """Excel's "CSV" where the comma is the decimal mark is separated by semicolons: it
    was read as one column and refused with "Column(s) not in …"."""
    rows = [(s, "AB"[s % 2], tp, v + s / 2) for s in range(1, 9)
            for tp, v in (("b", 6), ("m1", 3))]
    comma, semicolon = tmp_path / "comma.csv", tmp_path / "semicolon.csv"
    comma.write_text("subject,arm,time,vas\n" + "".join(
        f"{s},{a},{t},{v}\n" for s, a, t, v in rows))
    semicolon.write_text("subject;arm;time;vas\n" + "".join(
        f"{s};{a};{t};{str(v).replace('.', ',')}\n" for s, a, t, v in rows))
    plain, european = _analyze(app, comma), _analyze(app, semicolon)
    assert plain.exit_code == 0 and european.exit_code == 0, european.output
    assert european.stdout == plain.stdout
    assert "separated by semicolons; read so, with decimal commas" in european.stderr


def test_spss_missing_mark_is_a_missing_value_as_n_a_is(app, tmp_path):
    """'n/a' read as missing and '.' (SPSS's missing mark) as "not a number"."""
    rows = "".join(f"{s},{'AB'[s % 2]},{t},{v}\n" for s in range(1, 9)
                   for t, v in (("b", 6), ("m1", 3)))
    dotted, na = tmp_path / "dot.csv", tmp_path / "na.csv"
    dotted.write_text("subject,arm,time,vas\n" + rows + "9,A,b,.\n")
    na.write_text("subject,arm,time,vas\n" + rows + "9,A,b,n/a\n")
    with_dot, with_na = _analyze(app, dotted), _analyze(app, na)
    assert with_dot.exit_code == 0, with_dot.output
    assert with_dot.stdout == with_na.stdout


ROWS = [(s, "AB"[s % 2], t, v + s % 3) for s in range(1, 9) for t, v in (("b", 6), ("m1", 3))]


def _semicolon(path, header: str, rows=ROWS, before: str = "", after: str = "") -> None:
    path.write_text(before + header + "\n" + "".join(f"{s};{a};{t};{v}\n"
                                                     for s, a, t, v in rows) + after)


def test_excels_other_csvs_read_as_the_comma_file(app, tmp_path):
    """Found trying the command line as a new user would: a quoted name holding a comma
    ("VAS, 0-10"), Excel's "sep=;" first line and its empty ";;;" rows were each refused
    with a puzzling message."""
    comma = tmp_path / "comma.csv"
    comma.write_text("subject,arm,time,VAS 0-10\n" + "".join(
        f"{s},{a},{t},{v}\n" for s, a, t, v in ROWS))
    runner = app.test_cli_runner()

    def run(path, column):
        return runner.invoke(args=["analyze", "--csv", str(path), "--subject", "subject",
                                   "--group", "arm", "--timepoint", "time", "--value",
                                   column])
    plain = run(comma, "VAS 0-10")
    assert plain.exit_code == 0, plain.output
    quoted, hinted, emptied = (tmp_path / n for n in ("q.csv", "s.csv", "e.csv"))
    _semicolon(quoted, 'subject;arm;time;"VAS, 0-10"')
    _semicolon(hinted, "subject;arm;time;VAS 0-10", before="sep=;\n")
    _semicolon(emptied, "subject;arm;time;VAS 0-10", after=";;;\n;;;\n")
    for path, column in ((quoted, "VAS, 0-10"), (hinted, "VAS 0-10"), (emptied, "VAS 0-10")):
        result = run(path, column)
        assert result.exit_code == 0, (path.name, result.output)
        assert result.stdout.replace(column, "VAS 0-10") == plain.stdout, path.name


def test_a_point_in_a_file_read_with_decimal_commas_is_refused(app, tmp_path):
    """Found trying the command line as a new user would: in a German export '1.200' is
    twelve hundred, and it was read as 1.2 beside 900 without a word."""
    path = tmp_path / "thousands.csv"
    _semicolon(path, "subject;arm;time;vas", rows=[*ROWS[:3], (9, "A", "b", "1.200")])
    result = _analyze(app, path)
    assert result.exit_code == 1
    assert ("line 5 (column vas): '1.200' has a point, in a file read with decimal commas"
            in result.output)


def test_a_real_column_named_like_a_repeat_is_not_refused(app, tmp_path):
    """The repeat check read pandas' names: a header 'vas,vas.1' was refused as 'vas'
    written twice."""
    path = tmp_path / "named.csv"
    path.write_text("subject,arm,time,vas,vas.1\n" + "".join(
        f"{s},{a},{t},{v},0\n" for s, a, t, v in ROWS))
    result = _analyze(app, path)
    assert result.exit_code == 0, result.output


def test_a_utf16_file_is_named_so(app, tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("subject\tarm\ttime\tvas\n1\tA\tb\t3\n".encode("utf-16"))
    result = _analyze(app, path)
    assert result.exit_code == 1 and "is UTF-16 (Excel's \"Unicode Text\")" in result.output


@pytest.mark.parametrize(("text", "line"), [
    ("subject,arm,time,vas\n1,A,b,5\n\n   \n2,B,b,x7\n", 5),  # blank lines, one of spaces
    ('subject,arm,time,vas\n1,"A\nstill A",b,5\n2,B,b,x7\n', 4),  # a cell over two lines
    ("sep=,\nsubject,arm,time,vas\n1,A,b,5\n,,,\n\n2,B,b,x7\n", 6),  # an empty row kept
])
def test_a_bad_cell_is_named_by_its_line_in_the_file(app, tmp_path, text, line):
    """Found trying the command line as a new user would: with blank lines in the file
    the line named was the row's count, not its line (pandas skips blank lines)."""
    path = tmp_path / "gaps.csv"
    path.write_text(text)
    result = _analyze(app, path)
    assert result.exit_code == 1
    assert f"line {line} (column vas): 'x7' is not a number" in result.output


def test_a_point_after_a_blank_line_is_named_by_its_line(app, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("subject;arm;time;vas\n1;A;b;5\n\n2;B;b;1.200\n")
    result = _analyze(app, path)
    assert result.exit_code == 1 and "line 4 (column vas): '1.200' has a point" in result.output


def test_a_header_as_many_commas_as_semicolons_is_told_by_its_rows(app, tmp_path):
    """Found trying the command line as a new user would: a header with as many commas
    as semicolons was read by commas."""
    path = tmp_path / "tie.csv"
    _semicolon(path, "subject;arm, side;time, label;vas, mm")
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--csv", str(path), "--subject", "subject", "--group", "arm, side",
        "--timepoint", "time, label", "--value", "vas, mm"])
    assert result.exit_code == 0, result.output
    assert "separated by semicolons" in result.stderr


def test_a_bad_cell_among_decimal_commas_is_the_one_named(app, tmp_path):
    """Found trying the command line as a new user would: with one cell no number in a
    file read with decimal commas, '7,5' on line 2 was named and counted as bad."""
    path = tmp_path / "commas.csv"
    _semicolon(path, "subject;arm;time;vas",
               rows=[(1, "A", "b", "7,5"), (1, "A", "m1", "abc"), *ROWS[2:]])
    result = _analyze(app, path)
    assert result.exit_code == 1
    assert "line 3 (column vas): 'abc' is not a number" in result.output
    assert "such cells" not in result.output  # the one bad cell


def test_an_unknown_timepoint_in_order_is_told_with_the_datas(app, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("subject,arm,time,vas\n" + "".join(f"{s},{a},{t},{v}\n" for s, a, t, v in ROWS))
    result = _analyze(app, path, "--order", "b,m3")
    assert result.exit_code == 2
    assert "--order names timepoints not in the data: m3 (the data's are: b, m1)." in result.output
