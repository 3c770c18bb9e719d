"""Protocol constants for the seed trial (Bessar et al.) and product defaults."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Seed trial: 1:1, group A fluoroscopy-guided, group B CT-guided.
SEED_TRIAL_ARMS: Mapping[str, int] = MappingProxyType({"FL": 1, "CT": 1})

# Block sizes as multiples of the ratio sum: (1, 2, 3) -> sizes 2, 4, 6 for 1:1.
# A product default: the seed trial states a "computer-generated sequence" but
# gives no block sizes.
DEFAULT_BLOCK_MULTIPLIERS: tuple[int, ...] = (1, 2, 3)
