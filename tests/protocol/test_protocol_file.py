"""Protocol files: every shipped file validates and round-trips; 20 broken variants are
each refused with a message naming the field and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic.protocol.protocol_file import (
    ProtocolFileError,
    TomlLines,
    from_definition,
    read_toml,
    to_definition,
    write_toml,
)

PROTOCOLS = Path(__file__).resolve().parents[2] / "docs" / "protocols"
SHIPPED = sorted(PROTOCOLS.glob("*.toml"))
BASE = (PROTOCOLS / "ct-vs-fluoroscopy.toml").read_text(encoding="utf-8")
REGISTRY = (PROTOCOLS / "us-mri-fusion-registry.toml").read_text(encoding="utf-8")


def test_three_protocols_are_shipped():
    assert {p.name for p in SHIPPED} == {"ct-vs-fluoroscopy.toml", "us-vs-fluoroscopy.toml",
                                         "us-mri-fusion-registry.toml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_protocol_validates_and_round_trips(path):
    doc = read_toml(path.read_text(encoding="utf-8"))
    written = write_toml(doc)
    assert read_toml(written) == doc
    assert from_definition(to_definition(doc)) == doc
    assert write_toml(read_toml(written)) == written, "the export is stable"


def _replace(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


BROKEN = [  # (name, variant text, field path in the message, line the problem is on)
    ("missing title", _replace(BASE, 'title = "CT- vs', 'titel = "CT- vs'), "title", None),
    ("unknown field", _replace(BASE, 'title = "CT- vs', 'titel = "CT- vs'), "titel", 7),
    ("negative window", _replace(BASE, "window_before_days = 7\n", "window_before_days = -7\n"),
     "timepoints[3].window_before_days", 50),
    ("overlapping windows", _replace(BASE, "window_before_days = 14\nwindow_after_days = 14",
                                     "window_before_days = 70\nwindow_after_days = 14"),
     "timepoints[4].window_before_days", 57),
    ("unknown instrument", _replace(BASE, 'instrument = "vas"', 'instrument = "vas_pain"'),
     "measures[0].instrument", 68),
    ("duplicate timepoint code", _replace(BASE, 'code = "day_1"', 'code = "week_1"'),
     "timepoints[2].code", 40),
    ("duplicate arm code", _replace(BASE, 'code = "B"', 'code = "A"'), "arms[1].code", 20),
    ("duplicate criterion code", _replace(BASE, 'code = "vas_5_plus"', 'code = "age_18_plus"'),
     "criteria[2].code", 102),
    ("unknown modality", _replace(BASE, 'modality = "ct"', 'modality = "mri"'),
     "arms[1].modality", 22),
    ("measure at an unknown timepoint", _replace(BASE, '"month_1", "month_3", "month_6"]',
                                                 '"month_1", "month_9"]'),
     "measures[1].timepoints[2]", 72),
    ("strata bins with a gap", _replace(BASE, "low = 3\nhigh = 4", "low = 4\nhigh = 4"),
     "randomization.strata[0].bins[1].low", 149),
    ("strata bins overlapping", _replace(BASE, "low = 3\nhigh = 4", "low = 2\nhigh = 4"),
     "randomization.strata[0].bins[1].low", 149),
    ("bin high below low", _replace(BASE, "low = 5\nhigh = 6", "low = 6\nhigh = 5"),
     "randomization.strata[0].bins[2].high", 155),
    ("baseline window after the procedure", _replace(
        BASE, "window_before_days = 30\nbaseline = true",
        "window_before_days = 30\nwindow_after_days = 10\nbaseline = true"),
     "timepoints[0].window_after_days", 31),
    ("two baselines", _replace(BASE, 'offset_days = 1\nwindow_after_days = 1',
                               'offset_days = 1\nwindow_after_days = 1\nbaseline = true'),
     "timepoints[1].baseline", 38),
    ("one arm in a randomized study", _replace(
        BASE, '[[arms]]\ncode = "B"\nlabel = "Group B: CT-guided"\nmodality = "ct"\n', ""),
     "arms", None),
    ("study code with spaces", _replace(BASE, 'code = "CTFL"', 'code = "CT FL"'), "code", 6),
    ("offset not a whole number", _replace(BASE, "offset_days = 7\n", "offset_days = 7.5\n"),
     "timepoints[2].offset_days", 42),
    ("ratio out of range", _replace(BASE, 'modality = "ct"', 'modality = "ct"\nratio = 0'),
     "arms[1].ratio", 23),
    ("matching in a randomized study", BASE + '\n[matching]\ntreated = "A"\n'
                                              'covariates = ["age"]\n', "matching",
     BASE.count("\n") + 2),
    ("registry: unknown covariate", _replace(REGISTRY, '"baseline_nrs"]', '"baseline_odi"]'),
     "matching.covariates[4]", 118),
    ("registry: two groups of one modality", _replace(REGISTRY, 'modality = "ultrasound"',
                                                      'modality = "us_mri_fusion"'),
     "arms[1].modality", 20),
    ("not TOML at all", "code = [unclosed\n", "(file)", 1),
    ("no baseline", _replace(BASE, "baseline = true\n", ""),  # visits were then missed
     "timepoints[0].baseline", None),
]


@pytest.mark.parametrize(("name", "text", "field", "line"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_variant_is_refused_naming_the_field(name, text, field, line):
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    problems = {p.path: p for p in refused.value.problems}
    assert field in problems, (name, [str(p) for p in refused.value.problems])
    if line is not None:
        assert problems[field].line == line, str(problems[field])
        assert str(problems[field]).startswith(f"line {line}, {field}: ")


def test_at_least_twenty_variants():
    assert len(BROKEN) >= 20


def test_lines_of_nested_tables():
    lines = TomlLines("a = 1\n[[x]]\nb = 2\n[[x]]\nb = 3\n[[x.y]]\nc = 4\n[[x.y]]\nc = 5\n")
    assert lines.find(("x", 1, "b")) == 5
    assert lines.find(("x", 1, "y", 1, "c")) == 9
    assert lines.find(("x", 0, "missing")) == 2


def test_a_byte_order_mark_is_no_content():
    """Found on the command line: a file saved by a Windows editor starts with U+FEFF,
    and was refused as 'not valid TOML' at line 1."""
    assert read_toml("\ufeff" + BASE) == read_toml(BASE)


def test_a_duplicate_names_the_other_row_counted_from_one():
    """Found testing as a new user would: '(also arms[0])' counted from zero, in the
    file's syntax, on the builder's form."""
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(_replace(BASE, 'code = "B"', 'code = "A"'))
    assert "duplicate code 'A' (the 1st arm has it too)" in str(refused.value)


def test_a_bad_format_and_a_duplicate_code_are_named_in_one_round():
    """A window of -7 (a field's own check) used to hide the duplicate arm code (a rule
    across fields) until the window was mended."""
    text = _replace(_replace(BASE, "window_before_days = 7\n", "window_before_days = -7\n"),
                    'code = "B"', 'code = "A"')
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    problems = {p.path: p for p in refused.value.problems}
    assert "timepoints[3].window_before_days" in problems
    assert problems["arms[1].code"].message == "duplicate code 'A' (the 1st arm has it too)"
    assert problems["arms[1].code"].line == 20


def test_a_bad_field_and_overlapping_windows_are_named_in_one_round():
    """Found trying `study validate` as a new user would: the overlap of two windows was
    named only once the field errors were mended, a second round for one file."""
    text = _replace(_replace(BASE, 'title = "CT- vs', 'titel = "CT- vs'),
                    "window_before_days = 14\nwindow_after_days = 14",
                    "window_before_days = 70\nwindow_after_days = 14")
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    problems = {p.path: p for p in refused.value.problems}
    assert "title" in problems and "titel" in problems
    assert "overlaps the window of" in problems["timepoints[4].window_before_days"].message


def test_a_backwards_bin_is_named_once_not_also_as_an_overlap():
    text = _replace(BASE, "low = 5\nhigh = 6", "low = 6\nhigh = 5")
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    messages = [p.message for p in refused.value.problems]
    assert messages == ["high 5 is below low 6"], messages


def test_a_follow_up_before_the_baseline_is_named_with_labels_and_days():
    text = _replace(BASE, "offset_days = 1\nwindow_after_days = 1",
                    "offset_days = -1\nwindow_after_days = 1")
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    message = next(p.message for p in refused.value.problems if p.path.endswith("offset_days"))
    assert "(day -1) is a follow-up but comes before the baseline" in message, message


def test_type_and_choice_problems_read_in_words():
    """Found testing as a new user would: "input should be a valid integer", "input
    should be 'inclusion' or 'exclusion'" on the builder's fields."""
    text = _replace(_replace(BASE, "offset_days = 7\n", "offset_days = 7.5\n"),
                    'modality = "ct"', 'modality = "mri"')
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    problems = {p.path: p.message for p in refused.value.problems}
    assert problems["timepoints[2].offset_days"] == "a whole number, please"
    assert problems["arms[1].modality"].startswith("choose one of: fluoroscopy, ct, ")
    assert "'" not in problems["arms[1].modality"]


@pytest.mark.parametrize("depth", [500, 2000, 20_000])
def test_arrays_nested_thousands_deep_are_refused_not_a_crash(depth):
    """Found attacking the study upload: 2,000 nested brackets raised RecursionError in
    the TOML parser (a 500 on the upload, a traceback in ``study validate``)."""
    deep = f"x = {'[' * depth}1{']' * depth}\n"
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(deep + BASE)
    assert "nested too deeply" in str(refused.value)


@pytest.mark.parametrize("hidden", ["\\u0000", "\\u001b[31m", "\\u202e", "\\u2028"])
def test_a_text_with_an_invisible_character_is_named_with_its_line(hidden):
    """Found attacking the study CLI: a label holding NUL was 'a valid protocol' for
    ``study validate`` but refused by ``study create`` (the database's guard)."""
    text = _replace(BASE, 'label = "1 day"', f'label = "1 {hidden}day"')
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(text)
    [problem] = refused.value.problems
    assert problem.path == "timepoints[1].label" and problem.line == 35
    assert "invisible control or text-direction character" in problem.message


@pytest.mark.parametrize("line", ["[" + ".".join(["a"] * 60_000) + "]\nb = 1",
                                  ".".join(["a"] * 60_000) + " = 1",
                                  "[x." + ".".join(["a"] * 16) + "]"])
def test_a_key_of_thousands_of_parts_is_refused_before_it_is_read(line):
    """Found re-checking the upload: a table name of 60,000 dotted parts (120 kB, under
    the size limit) took 114 s to refuse, the TOML reader's time growing with the square
    of the parts. Such a line is refused before the reader sees it."""
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(BASE + "\n" + line + "\n")
    [problem] = refused.value.problems
    assert "parts nests too deeply" in problem.message
    assert problem.line == BASE.count("\n") + 2


def test_a_gap_of_one_value_between_bins_is_named_as_one():
    """Found testing as a new user would: a gap read 'values 2–2 would fit no stratum'."""
    with pytest.raises(ProtocolFileError) as one:
        read_toml(_replace(BASE, "low = 3\nhigh = 4", "low = 4\nhigh = 4"))
    assert "value 3 would fit no stratum" in str(one.value)
    assert "values" not in str(one.value).split("would fit")[0].rsplit(":", 1)[-1]


def test_rows_are_counted_as_ordinals_beside_a_path_counted_from_zero():
    """'arms[1].code: … (arm 1 has it too)' read as the same row (found trying the
    command line as a new user would): the other row is the '1st arm'."""
    from clinic.protocol.document import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
        "111th", "112th"]


def test_the_capped_steroid_round_trips_and_anything_but_a_steroid_is_refused():
    """The steroid the cap counts is the protocol's (it was fixed in the code: a study
    capping triamcinolone could not say so)."""
    doc = read_toml(_replace(BASE, 'capped_steroid = "methylprednisolone_acetate"',
                             'capped_steroid = "triamcinolone"'))
    assert doc.capped_steroid == to_definition(doc).capped_steroid == "triamcinolone"
    assert from_definition(to_definition(doc)) == doc
    written = write_toml(doc)
    assert 'capped_steroid = "triamcinolone"' in written and read_toml(written) == doc
    seed = read_toml(_replace(BASE, 'capped_steroid = "methylprednisolone_acetate"', ""))
    assert seed.capped_steroid == "methylprednisolone_acetate", "left out: the seed trial's"
    assert 'capped_steroid = "methylprednisolone_acetate"' in write_toml(seed), \
        "a cap is written with the steroid it counts"
    for typed in ("lidocaine", "Triamcinolone", ""):
        with pytest.raises(ProtocolFileError) as refused:
            read_toml(_replace(BASE, '"methylprednisolone_acetate"', f'"{typed}"'))
        assert [str(p) for p in refused.value.problems] == [
            "line 12, capped_steroid: choose one of: dexamethasone, "
            "methylprednisolone_acetate, triamcinolone, betamethasone"]


def test_timepoints_typed_out_of_order_are_kept_in_the_order_of_their_days():
    """Found trying the study builder as a new user would: timepoints typed baseline,
    1 month, 3 months, 1 week kept that order in every list, schedule and report table."""
    week = 'code = "week_1"\nlabel = "1 week"\noffset_days = 7\nwindow_before_days = 2\n' \
           'window_after_days = 2\n'
    block = "[[timepoints]]\n" + week + "\n"
    moved = _replace(BASE, block, "")
    moved = _replace(moved, "[[measures]]", block + "[[measures]]")
    doc = read_toml(moved)
    assert [t.code for t in doc.timepoints][-1] == "week_1"  # as typed
    assert [t.code for t in to_definition(doc).timepoints] == [
        "baseline", "day_1", "week_1", "month_1", "month_3", "month_6"]
