import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from clinic.protocol.allocation import (
    PUNCTURES_FACTOR,
    SEED_TRIAL_STRATIFICATION,
    Bin,
    StratificationFactor,
    block_sizes,
    generate_sequence,
    stratum_for,
)
from clinic.protocol.constants import DEFAULT_BLOCK_MULTIPLIERS, SEED_TRIAL_ARMS
from clinic.protocol.exceptions import AllocationError, StratumError

REPO = Path(__file__).resolve().parents[2]
ONE_TO_ONE = {"FL": 1, "CT": 1}
THREE_ARMS = {"A": 1, "B": 1, "C": 2}
RATIOS = [ONE_TO_ONE, THREE_ARMS, {"X": 2, "Y": 3}, {"P": 1, "Q": 1, "R": 1, "S": 1}]


def _arms(slots):
    return [s.arm for s in slots]


def _blocks(slots):
    blocks: dict[int, list] = {}
    for slot in slots:
        blocks.setdefault(slot.block_index, []).append(slot)
    return blocks


def test_golden_sequence_is_pinned():
    # Guards the documented derivation: a change here changes every stored sequence.
    slots = generate_sequence(ONE_TO_ONE, "punctures_1_2", 20260115, 12)
    assert "".join(s.arm[0] for s in slots) == "FCCFFCCFCFCF"
    assert [s.block_size for s in slots] == [4] * 4 + [6] * 6 + [2] * 2
    three = generate_sequence(THREE_ARMS, "s", 7, 12)
    assert "".join(_arms(three)) == "CACCBBCACABC"


def test_reproducible_for_same_seed_and_stratum():
    first = generate_sequence(ONE_TO_ONE, "punctures_3_4", 99, 200)
    assert first == generate_sequence(ONE_TO_ONE, "punctures_3_4", 99, 200)


def test_reproducible_across_processes_and_hash_seeds():
    code = (
        "from clinic.protocol.allocation import generate_sequence as g;"
        "print(''.join(s.arm for s in g({'FL': 1, 'CT': 1}, 'punctures_5_6', 5, 40)))"
    )
    outputs = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
        run = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                             capture_output=True, text=True, check=True)  # fmt: skip
        outputs.add(run.stdout.strip())
    assert outputs == {"".join(_arms(generate_sequence(ONE_TO_ONE, "punctures_5_6", 5, 40)))}


def test_different_seed_or_stratum_gives_different_sequence():
    base = _arms(generate_sequence(ONE_TO_ONE, "punctures_1_2", 1, 100))
    assert base != _arms(generate_sequence(ONE_TO_ONE, "punctures_1_2", 2, 100))
    assert base != _arms(generate_sequence(ONE_TO_ONE, "punctures_3_4", 1, 100))


def test_arm_order_in_mapping_does_not_matter():
    a = generate_sequence({"FL": 1, "CT": 1}, "s", 3, 50)
    b = generate_sequence({"CT": 1, "FL": 1}, "s", 3, 50)
    assert a == b


def test_longer_request_extends_without_changing_earlier_slots():
    short = generate_sequence(THREE_ARMS, "s", 11, 10)
    long = generate_sequence(THREE_ARMS, "s", 11, 300)
    assert long[: len(short)] == short


@pytest.mark.parametrize("arms", RATIOS)
@pytest.mark.parametrize("seed", range(20))
def test_complete_blocks_follow_the_ratio_exactly(arms, seed):
    slots = generate_sequence(arms, "s", seed, 97)
    ratio_sum = sum(arms.values())
    assert len(slots) >= 97
    assert [s.position for s in slots] == list(range(1, len(slots) + 1))
    blocks = _blocks(slots)
    assert list(blocks) == list(range(1, len(blocks) + 1))
    for block in blocks.values():
        size = block[0].block_size
        assert size in block_sizes(arms, DEFAULT_BLOCK_MULTIPLIERS)
        assert len(block) == size and all(s.block_size == size for s in block)
        multiplier = size // ratio_sum
        assert Counter(_arms(block)) == {arm: w * multiplier for arm, w in arms.items()}
        assert all(s.stratum == "s" for s in block)


@pytest.mark.parametrize("arms", RATIOS)
@pytest.mark.parametrize("seed", range(20))
def test_prefix_imbalance_is_bounded(arms, seed):
    slots = generate_sequence(arms, "s", seed, 150)
    ratio_sum = sum(arms.values())
    bound = max(block_sizes(arms, DEFAULT_BLOCK_MULTIPLIERS)) * max(arms.values()) / ratio_sum
    counts = Counter()
    for n, slot in enumerate(slots, start=1):
        counts[slot.arm] += 1
        for arm, weight in arms.items():
            assert abs(counts[arm] - n * weight / ratio_sum) <= bound


def test_every_block_size_is_used_and_arms_are_shuffled():
    slots = generate_sequence(ONE_TO_ONE, "s", 2026, 2000)
    blocks = _blocks(slots)
    assert {b[0].block_size for b in blocks.values()} == {2, 4, 6}
    first_arms = Counter(b[0].arm for b in blocks.values())
    share = first_arms["FL"] / len(blocks)
    assert 0.4 < share < 0.6


def test_custom_multipliers():
    slots = generate_sequence(ONE_TO_ONE, "s", 1, 40, block_multipliers=(2,))
    assert {s.block_size for s in slots} == {4}
    assert block_sizes(THREE_ARMS, (1, 2, 3)) == (4, 8, 12)


def test_seed_trial_constants():
    assert dict(SEED_TRIAL_ARMS) == {"FL": 1, "CT": 1}
    assert block_sizes(SEED_TRIAL_ARMS, DEFAULT_BLOCK_MULTIPLIERS) == (2, 4, 6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"arms": {"FL": 1}}, "at least two arms"),
        ({"arms": {"FL": 1, "CT": 0}}, "arms.CT"),
        ({"arms": {"FL": 1, "CT": True}}, "arms.CT"),
        ({"arms": {"FL": 1, "CT": 1.5}}, "arms.CT"),
        ({"block_multipliers": ()}, "block_multipliers"),
        ({"block_multipliers": (1, 0)}, "block_multipliers"),
        ({"block_multipliers": (2, 2)}, "block_multipliers"),
        ({"length": 0}, "length"),
        ({"length": 10**6}, "length"),
        ({"seed": "42"}, "seed"),
        ({"seed": True}, "seed"),
        ({"stratum": ""}, "stratum"),
    ],
)
def test_bad_parameters(kwargs, match):
    params = {"arms": ONE_TO_ONE, "stratum": "s", "seed": 1, "length": 10, **kwargs}
    with pytest.raises(AllocationError, match=match):
        generate_sequence(**params)


@pytest.mark.parametrize(
    ("punctures", "stratum"),
    [(1, "punctures_1_2"), (2, "punctures_1_2"), (3, "punctures_3_4"), (4, "punctures_3_4"),
     (5, "punctures_5_6"), (6, "punctures_5_6")],
)  # fmt: skip
def test_seed_trial_stratum(punctures, stratum):
    assert stratum_for({"punctures": punctures}, SEED_TRIAL_STRATIFICATION) == stratum


@pytest.mark.parametrize(("factors", "match"), [
    ({"punctures": 0}, "punctures: 0 is outside"),
    ({"punctures": 7}, "punctures: 7 is outside"),
    ({"punctures": 2.0}, "punctures: must be an integer"),
    ({"punctures": True}, "punctures: must be an integer"),
    ({}, "punctures: value missing"),
])  # fmt: skip
def test_stratum_errors(factors, match):
    with pytest.raises(StratumError, match=match):
        stratum_for(factors, SEED_TRIAL_STRATIFICATION)


def test_two_factors_join_codes():
    site = StratificationFactor("site", (Bin("site_1", 1, 1), Bin("site_2", 2, 2)))
    rules = (PUNCTURES_FACTOR, site)
    assert stratum_for({"punctures": 3, "site": 2}, rules) == "punctures_3_4|site_2"


def test_factor_definition_errors():
    with pytest.raises(StratumError, match="overlap"):
        StratificationFactor("n", (Bin("a", 1, 3), Bin("b", 3, 4)))
    with pytest.raises(StratumError, match="low 5 > high 4"):
        Bin("a", 5, 4)
    with pytest.raises(StratumError, match="duplicated"):
        StratificationFactor("n", (Bin("a", 1, 1), Bin("a", 2, 2)))
    with pytest.raises(StratumError):
        StratificationFactor("n", ())
    with pytest.raises(StratumError):
        stratum_for({"punctures": 1}, ())


def test_a_stratum_reads_as_its_protocols_bins():
    from clinic.protocol.allocation import stratum_words

    rules = [{"name": "punctures", "bins": [{"code": "p12", "low": 1, "high": 2},
                                            {"code": "p3", "low": 3, "high": 3}]},
             {"name": "site_size", "bins": [{"code": "big", "low": 100, "high": 999}]}]
    assert stratum_words(rules, "p12|big") == "punctures 1–2, site_size 100–999"
    assert stratum_words(rules, "p3") == "punctures 3"
    assert stratum_words(rules, "all") == "all"  # no bin of that code: as stored
    assert stratum_words([], "p12") == "p12"
