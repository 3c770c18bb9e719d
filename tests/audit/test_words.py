"""Audit values in words (pure): names for ids, "every timepoint" for an empty limit."""

from __future__ import annotations

from clinic.audit.words import field_label, value_words

USERS = {4: "Demo Coordinator"}
IDS = {"arm_id": {1: "A"}, "timepoint_id": {3: "1 month"}}


def test_an_id_reads_as_the_name_of_its_row():
    assert value_words("arm_id", "1", USERS, "UTC", IDS) == "A"
    assert value_words("timepoint_id", "3", USERS, "UTC", IDS) == "1 month"
    assert value_words("arm_id", "9", USERS, "UTC", IDS) == "#9", "a row gone since"
    assert value_words("randomized_by_id", "4", USERS, "UTC") == "Demo Coordinator"
    assert field_label("arm_id") == "arm" and field_label("randomized_by_id") == \
        "randomized by"


def test_a_scores_value_reads_as_its_score_and_a_sections_as_the_answer():
    """Found trying the screens as a new user would: 'value' and 'raw sum' in a score's
    history said nothing a nurse would check against the sheet."""
    assert field_label("value", "score") == "score"
    assert field_label("raw_sum", "score") == "sum of the answers"
    assert field_label("value", "score_section") == "answer"
    assert field_label("value") == "value" and field_label("value", "procedure") == "value"


def test_a_limit_left_empty_reads_as_all_not_as_none():
    """A measure asked at every timepoint, narrowed to two, read 'blank → baseline,
    month_1', as if it had been asked nowhere."""
    assert value_words("timepoint_codes", None, USERS, "UTC") == "every timepoint"
    assert value_words("strata", None, USERS, "UTC") == "every patient"
    assert value_words("diagnosis", None, USERS, "UTC") == "none"


def test_a_satisfaction_reads_as_its_level_and_other_scores_as_stored():
    from clinic.audit.words import score_value_words

    assert score_value_words("satisfaction_results", "3.0") == "3 (Satisfied)"
    assert score_value_words("satisfaction_procedure", "1") == "1 (Very unsatisfied)"
    assert score_value_words("satisfaction_procedure", "9.0") == "9.0"  # off the scale
    assert score_value_words("vas", "3.0") == "3"
    assert score_value_words("odi", "33.33") == "33.33"
    assert score_value_words("vas", "n/a") == "n/a"
    assert score_value_words(None, "3.0") == "3.0"


def test_strata_rules_read_as_the_protocols_bins():
    from clinic.audit.words import value_words

    rules = ('[{"bins": [{"code": "p12", "high": 2, "low": 1}, {"code": "p3", "high": 3, '
             '"low": 3}], "name": "punctures"}]')
    assert value_words("strata_rules", rules, {}, "UTC") == "punctures: 1–2, 3"
    assert value_words("strata_rules", "[]", {}, "UTC") == "none"
    assert value_words("strata_rules", "[{\"odd\": 1}]", {}, "UTC") == "[{\"odd\": 1}]"


def test_design_types_and_added_timepoints_read_in_words():
    from clinic.audit.words import value_words

    assert value_words("design_type", "randomized", {}, "UTC") == "Randomized trial"
    added = '{"month_12": "2026-12-05T03:15:11.051957+00:00"}'
    assert value_words("added_at", added, {}, "Europe/Berlin") == \
        "month_12 since 2026-12-05 04:15 CET"
    assert value_words("added_at", "{}", {}, "UTC") == "none"
    assert value_words("added_at", "{oops", {}, "UTC") == "{oops"


def test_a_data_query_reads_by_its_number():
    from clinic.audit.words import value_words

    assert value_words("query_id", "7", {}, "UTC") == "#7"


def test_a_data_querys_rule_key_is_not_spelt_out():
    """Found testing as a new user would: a raised query read 'rule key:
    out_of_window:assessment:368:visit_on', its rule, record and field again."""
    import json

    from clinic.audit.trail import _words

    snapshot = json.dumps({"id": 7, "rule": "out_of_window", "field": "visit_on",
                           "rule_key": "out_of_window:assessment:368:visit_on",
                           "label": "Date of the 1 month visit"})
    words = _words(None, snapshot, USERS, "UTC", {})
    assert "rule key" not in words and "out_of_window:assessment" not in words
    assert "label: Date of the 1 month visit" in words


def test_a_data_query_is_named_by_what_it_asks_about_not_its_record_number():
    """Found trying the screens as a new user would: a raised query read "field: value;
    record: score; record number: 812", beside its label "VAS at 1 month"."""
    import json

    from clinic.audit.trail import _words

    snapshot = json.dumps({"id": 7, "rule": None, "field": "value", "target_table": "score",
                           "target_id": 812, "label": "VAS at 1 month",
                           "value_when_raised": "4", "text": "Is 4 right?"})
    words = _words(None, snapshot, USERS, "UTC", {}, entity="data_query")
    assert words == "about: VAS at 1 month; text: Is 4 right?; value when raised: 4", words


def test_a_stored_float_reads_as_the_form_shows_it_with_every_digit():
    """Found trying the screens as a new user would: the record history read "1.0 → 3.0"
    and "28.0 → 24.44" for a VAS and an ODI total."""
    assert value_words("value", "28.0", USERS, "UTC") == "28"
    assert value_words("value", "24.444444444444443", USERS, "UTC") == "24.444444444444443"
    assert value_words("dap_mgy_cm2", "-3.0", USERS, "UTC") == "-3"
    assert value_words("consent_version", "1.0", USERS, "UTC") == "1.0", "a text field"


def test_a_code_reads_by_its_records_words():
    """Found trying the screens as a new user would: a data query went 'open → answered'
    then 'answered → Closed' (the study's word for its own 'closed')."""
    assert value_words("status", "answered", USERS, "UTC", entity="data_query") == "Answered"
    assert value_words("status", "open", USERS, "UTC", entity="data_query") == "Open"
    assert value_words("status", "closed", USERS, "UTC", entity="data_query") == "Closed"
    assert value_words("step", "reopened", USERS, "UTC", entity="data_query_step") == \
        "Re-opened"
    assert value_words("level", "study", USERS, "UTC", entity="record_lock") == \
        "Study (database lock)"


def test_what_a_data_query_asks_about_reads_in_words():
    """Found trying the screens as a new user would: a query's creation in the audit trail
    read 'field: ctdivol_mgy; record: procedure; row: 62'."""
    assert value_words("field", "ctdivol_mgy", USERS, "UTC", entity="data_query") == \
        "CTDIvol (mGy)"
    assert value_words("target_table", "assessment", USERS, "UTC", entity="data_query") == \
        "visit"
    assert value_words("field", "ctdivol_mgy", USERS, "UTC") == "ctdivol_mgy"  # elsewhere
    assert field_label("target_id") == "record number"
    assert value_words("imported_by_id", "4", USERS, "UTC") == "Demo Coordinator"
