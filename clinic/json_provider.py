"""JSON in and out, strictly: the literals NaN and Infinity are not JSON (RFC 8259), an
object that names a key twice is ambiguous, NUL cannot be stored as text, and a body
nested a thousand levels deep exhausts the parser (no request needs it), and a lone
surrogate escape ("\\ud800") is no character, and a number of thousands of digits is no
value of any field. All are refused in requests: the answer is
a 422 naming the body and saying which of them it was.
Answers never contain NaN or Infinity: a non-finite number stored before the bounds
existed is sent as null."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

from clinic.catalog import HIDDEN_CHARACTERS

SURROGATES = re.compile("[\ud800-\udfff]")  # JSON may escape them; text cannot hold them


class NotJSON(ValueError):
    """JSON the API does not read; ``field``: the key whose text is at fault, if one is
    (an API error is then filed under that field, not under the body)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _no_constants(name: str) -> Any:
    raise NotJSON(f"{name} is not a JSON number")


MAX_DIGITS = 40  # no field reads a longer number (the database's integers have 19 digits)


def _bounded_int(text: str) -> int:
    """Python refuses over 4,300 digits with a message about its own limits; far below
    that, no number a clinic sends is this long."""
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise NotJSON(f"a number has {digits} digits (at most {MAX_DIGITS} are read)")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise NotJSON(f"the key {key[:40]!r} appears twice")
        result[key] = value
    return result


def _check_texts(value: Any, path: str = "") -> None:
    """No key or text holds NUL, a lone surrogate or an invisible character; the error
    names the field by its whole path (``medications.0.drug``, not ``drug``: the hook
    that reads an object sees only its own keys)."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            _check_text(key, where)
            _check_texts(item, where)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            _check_texts(item, f"{path}.{number}" if path else str(number))
    elif isinstance(value, str):
        _check_text(value, path)


def _check_text(text: str, path: str) -> None:
    field = HIDDEN_CHARACTERS.sub("", SURROGATES.sub("", path.replace("\x00", "")))[:60] \
        or None  # a key at fault is named without what is wrong in it
    what = f"the text of {field!r}" if field else "the text"
    if "\x00" in text:
        raise NotJSON(f"{what} holds a NUL character", field=field)
    if SURROGATES.search(text):
        raise NotJSON(f"{what} holds a lone surrogate (\\ud800-\\udfff without its pair), "
                      "which is no character", field=field)
    if HIDDEN_CHARACTERS.search(text):
        raise NotJSON(f"{what} holds an invisible control or text-direction character",
                      field=field)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def strict_loads(s: str | bytes, **kwargs: Any) -> Any:
    """JSON as the API reads it: each key once, finite numbers of sane length, no NUL or
    invisible characters in texts (NotJSON otherwise); for files too (a protocol)."""
    kwargs.setdefault("parse_constant", _no_constants)
    kwargs.setdefault("object_pairs_hook", _unique_keys)
    kwargs.setdefault("parse_int", _bounded_int)
    try:
        value = json.loads(s, **kwargs)
        _check_texts(value)
    except RecursionError:
        raise NotJSON("the body is nested too deeply") from None
    return value


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        try:
            return json.dumps(obj, allow_nan=False, **kwargs)
        except ValueError:
            return json.dumps(_finite(obj), allow_nan=False, **kwargs)
