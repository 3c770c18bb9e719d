"""Validation messages of pydantic in the product's words, for protocol files and the
API alike (a pure module: no Flask, no database)."""

from __future__ import annotations

from typing import Any


def schema_message(error: Any) -> str:
    """A pydantic error's message in the product's words ("required", "at most 40
    characters", "a whole number, please"), not the library's ("Field required",
    "String should have at most 40 characters", "Input should be a valid integer")."""
    message = str(error["msg"])
    if error["type"] == "greater_than_equal":
        return f"must be ≥ {error['ctx']['ge']}"
    if error["type"] == "less_than_equal":
        return f"must be ≤ {error['ctx']['le']}"
    if error["type"] == "extra_forbidden":
        return "unknown field (a typo?)"
    if error["type"] == "missing":
        return "required"
    if error["type"] == "string_too_short":
        low = error["ctx"].get("min_length", 1)
        return "required" if low == 1 else f"at least {low} characters"
    if error["type"] == "too_short":
        low = error["ctx"].get("min_length", 1)
        return f"needs at least {low} (none given)" if not error["ctx"].get(
            "actual_length") else f"needs at least {low}"
    if error["type"] == "string_too_long":
        return f"at most {error['ctx']['max_length']} characters"
    if error["type"] == "too_long":
        return (f"at most {error['ctx']['max_length']} of them "
                f"({error['ctx'].get('actual_length', 'more')} given)")
    if error["type"] in _PLAIN:
        return _PLAIN[error["type"]]
    if error["type"] in ("literal_error", "enum"):
        expected = str(error.get("ctx", {}).get("expected", "")).replace("'", "")
        choices = [c for c in expected.replace(" or ", ", ").split(", ") if c]
        if "''" in str(error.get("ctx", {}).get("expected", "")):  # the empty choice, named
            choices.append('"" (not given)')
        return f"choose one of: {', '.join(choices)}" if choices else message
    if error["type"] == "value_error" and message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")  # our own validator's words
    if error["type"] == "string_pattern_mismatch":
        capitals = "A-Z0-9" in str(error["ctx"].get("pattern", ""))[:8]
        return ("use capital letters, digits, - and _ only (e.g. USFL)" if capitals
                else "use letters, digits, - and _ only (no spaces)")
    return message[0].lower() + message[1:] if message else message


_PLAIN = {"int_parsing": "a whole number, please", "int_type": "a whole number, please",
          "int_from_float": "a whole number, please", "float_parsing": "a number, please",
          "float_type": "a number, please", "bool_parsing": "true or false, please",
          "bool_type": "true or false, please"}
