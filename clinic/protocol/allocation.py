"""Stratified permuted-block allocation sequences (pure).

Sequence generation, per stratum:
  * arms have integer ratio weights, e.g. {"FL": 1, "CT": 1} or {"A": 1, "B": 1, "C": 2};
  * block sizes are the ratio sum times each multiplier, e.g. multipliers (1, 2, 3)
    give sizes 2, 4, 6 for 1:1 and 4, 8, 12 for 1:1:2;
  * for each block a size is drawn at random, the block is filled with
    ``weight x multiplier`` copies of each arm (arms in sorted code order), and
    shuffled (Fisher-Yates);
  * blocks are appended until at least ``length`` slots exist, so every returned
    block is complete (the list may be longer than ``length``).

Reproducibility: the generator is ``random.Random(f"{seed}:{stratum}")``. A
``str`` seed is hashed with SHA-512 by CPython (seeding version 2), independent
of PYTHONHASHSEED and of the machine, and gives each stratum its own stream.
Only ``Random.random()`` is used -- the one output the Python docs promise to
keep stable across versions for a given seed -- so block sizes are drawn as
``int(random() * n)`` rather than with ``choice``/``shuffle``, whose algorithms
are not guaranteed. The stream is sequential, so asking for a longer list later
yields the same first slots (already allocated slots never change).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinic.protocol.constants import DEFAULT_BLOCK_MULTIPLIERS
from clinic.protocol.exceptions import AllocationError, StratumError

MAX_SEQUENCE_LENGTH = 100_000


@dataclass(frozen=True)
class Slot:
    stratum: str
    position: int  # 1-based within the stratum
    block_index: int  # 1-based
    block_size: int
    arm: str


def validate_arms(arms: Mapping[str, int]) -> dict[str, int]:
    """Arms sorted by code with positive integer weights; AllocationError otherwise."""
    if len(arms) < 2:
        raise AllocationError("arms: at least two arms are required")
    for code, weight in arms.items():
        if not isinstance(code, str) or not code:
            raise AllocationError(f"arms: arm code must be a non-empty string, got {code!r}")
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise AllocationError(f"arms.{code}: ratio must be a positive integer, got {weight!r}")
    return {code: arms[code] for code in sorted(arms)}


def block_sizes(arms: Mapping[str, int], multipliers: Sequence[int]) -> tuple[int, ...]:
    """Possible block sizes: ratio sum x each multiplier."""
    ratio_sum = sum(validate_arms(arms).values())
    if not multipliers:
        raise AllocationError("block_multipliers: at least one multiplier is required")
    for m in multipliers:
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise AllocationError(f"block_multipliers: must be positive integers, got {m!r}")
    if len(set(multipliers)) != len(multipliers):
        raise AllocationError("block_multipliers: duplicated multiplier")
    return tuple(ratio_sum * m for m in multipliers)


def rng_for(seed: int, stratum: str) -> random.Random:
    """The documented generator for one stratum: ``Random(f"{seed}:{stratum}")``."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise AllocationError(f"seed: must be an integer, got {seed!r}")
    if not isinstance(stratum, str) or not stratum:
        raise AllocationError(f"stratum: must be a non-empty string, got {stratum!r}")
    return random.Random(f"{seed}:{stratum}")


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _shuffled(rng: random.Random, items: list[str]) -> list[str]:
    result = list(items)
    for i in range(len(result) - 1, 0, -1):
        j = _below(rng, i + 1)
        result[i], result[j] = result[j], result[i]
    return result


def generate_sequence(
    arms: Mapping[str, int],
    stratum: str,
    seed: int,
    length: int,
    block_multipliers: Sequence[int] = DEFAULT_BLOCK_MULTIPLIERS,
) -> list[Slot]:
    """Allocation slots for ``stratum``: complete permuted blocks, >= ``length`` slots."""
    ordered = validate_arms(arms)
    multipliers = tuple(block_multipliers)
    block_sizes(ordered, multipliers)  # validates the multipliers
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise AllocationError(f"length: must be a positive integer, got {length!r}")
    if length > MAX_SEQUENCE_LENGTH:
        raise AllocationError(f"length: at most {MAX_SEQUENCE_LENGTH}, got {length}")
    rng = rng_for(seed, stratum)
    slots: list[Slot] = []
    block_index = 0
    while len(slots) < length:
        block_index += 1
        multiplier = multipliers[_below(rng, len(multipliers))]
        block = [code for code, weight in ordered.items() for _ in range(weight * multiplier)]
        for arm in _shuffled(rng, block):
            slots.append(Slot(stratum, len(slots) + 1, block_index, len(block), arm))
    return slots


# --- stratification -------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    """An integer range ``low..high`` (both inclusive) mapped to a stratum code."""

    code: str
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise StratumError(f"bin {self.code}: low {self.low} > high {self.high}")

    def contains(self, value: int) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class StratificationFactor:
    """A named integer factor (e.g. number of punctures) and its non-overlapping bins."""

    name: str
    bins: tuple[Bin, ...]

    def __post_init__(self) -> None:
        if not self.bins:
            raise StratumError(f"{self.name}: at least one bin is required")
        ordered = sorted(self.bins, key=lambda b: b.low)
        for previous, current in zip(ordered, ordered[1:], strict=False):
            if current.low <= previous.high:
                raise StratumError(f"{self.name}: bins {previous.code} and {current.code} overlap")
        if len({b.code for b in self.bins}) != len(self.bins):
            raise StratumError(f"{self.name}: duplicated bin code")

    def bin_for(self, value: object) -> Bin:
        if isinstance(value, bool) or not isinstance(value, int):
            raise StratumError(f"{self.name}: must be an integer, got {value!r}")
        for candidate in self.bins:
            if candidate.contains(value):
                return candidate
        ranges = ", ".join(f"{b.low}-{b.high}" for b in self.bins)
        raise StratumError(f"{self.name}: {value} is outside the strata ({ranges})")


STRATUM_SEPARATOR = "|"


def stratum_for(factors: Mapping[str, object], rules: Sequence[StratificationFactor]) -> str:
    """Stratum code for a patient: the bin codes of each factor, joined by ``|``.

    ``factors`` maps factor name -> integer value; a missing factor or a value
    outside every bin raises :class:`StratumError` naming the factor.
    """
    if not rules:
        raise StratumError("strata_rules: at least one stratification factor is required")
    codes = []
    for rule in rules:
        if rule.name not in factors:
            raise StratumError(f"{rule.name}: value missing")
        codes.append(rule.bin_for(factors[rule.name]).code)
    return STRATUM_SEPARATOR.join(codes)


def stratum_words(rules: Sequence[Mapping[str, Any]], code: str) -> str:
    """A stratum code as its protocol's bins read: "punctures_5_6" is "punctures 5–6",
    "a|b" each factor in turn; a code no bin has (or a study without strata) as it is."""
    bins = {b.get("code"): (factor.get("name"), b.get("low"), b.get("high"))
            for factor in rules for b in factor.get("bins", ()) if isinstance(b, Mapping)}
    words = []
    for part in code.split(STRATUM_SEPARATOR):
        if part not in bins:
            return code
        name, low, high = bins[part]
        words.append(f"{name} {low}" if low == high else f"{name} {low}–{high}")
    return ", ".join(words)


# Seed trial: stratified by the number of punctures (1-6), grouped as in its Table 2.
PUNCTURES_FACTOR = StratificationFactor(
    "punctures",
    (
        Bin("punctures_1_2", 1, 2),
        Bin("punctures_3_4", 3, 4),
        Bin("punctures_5_6", 5, 6),
    ),
)
SEED_TRIAL_STRATIFICATION: tuple[StratificationFactor, ...] = (PUNCTURES_FACTOR,)
