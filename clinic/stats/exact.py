"""Fisher's exact test for an R×C table (Fisher–Freeman–Halton), by the network algorithm.

The p-value is the probability, under independence with both margins fixed, of the
tables no more probable than the one observed: the sum of the multivariate
hypergeometric probabilities

    P(T) = Π R_i! Π C_j! / (N! Π x_ij!)

of every table T with P(T) <= P(observed) × (1 + 1e-7), the relative tolerance of R's
``fisher.test`` (and of scipy's 2×2 test), so that tables equally probable but for
rounding count as equal. It is what SPSS's Exact Tests print as "Fisher's Exact Test"
for a table larger than 2×2, and what R's ``fisher.test`` computes with its network
algorithm (Mehta and Patel 1983, ACM Transactions on Mathematical Software 9:1).

The same idea, for the tables of a report (a column per arm: few columns): the table
is built one row at a time; a node is the stage and what is left of each column's
total. For all the ways to finish the table from a node the largest and the smallest
product of the rows' weights (``r!/Π x!`` per row of total r, in logs) are known, and
their sum is a multinomial coefficient (Vandermonde: the sum over the completions of
Π_rows r!/Π x! is n_left!/Π left_j!). A path whose weight so far times the largest
completion is still no more probable than the observed table counts with all its
completions at once; one whose weight times the smallest is more probable counts with
none; only the rest are followed. Paths reaching a node with the same weight merge.
Every stage is worked on as arrays.

The work is bounded (``max_work``, cells of the arrays): a table too large for it gets
``None``, and the caller says so (the χ² p with its footnote) rather than waiting.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

RELATIVE_TOLERANCE = 1e-7  # as R's fisher.test and scipy.stats.fisher_exact
MAX_WORK = 30_000_000  # node × split pairs over the whole test (1.5 s at most here)
MAX_STATES = 2.0 ** 62  # nodes numbered in int64
CHUNK = 1 << 20  # node × split pairs worked on at once (memory)


class TooLarge(Exception):
    """More work than allowed."""


def fisher_freeman_halton(table: object, max_work: int = MAX_WORK) -> float | None:
    """The exact p of an R×C table of counts; None when it would take more than
    ``max_work`` node-split pairs. Rows and columns with no count are left out."""
    counts = np.asarray(table, dtype=np.int64)
    if counts.ndim != 2 or (counts < 0).any():
        raise ValueError("a 2-D table of non-negative counts is needed")
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return 1.0  # one row or one column: the only table with these margins
    if _states(counts.sum(axis=0)) > _states(counts.sum(axis=1)):
        counts = counts.T  # the side with fewer states is the node's
    counts = counts[np.argsort(-counts.sum(axis=1), kind="stable")]  # large rows first
    if _states(counts.sum(axis=0)) > MAX_STATES:
        return None  # (a node's code would not fit in 64 bits; far beyond the work bound)
    try:
        return _Network(counts, max_work).p_value()
    except TooLarge:
        return None


def _states(totals: np.ndarray) -> float:
    """How many nodes there could be with these column totals."""
    return float(np.prod(totals.astype(float) + 1.0))


class _Network:
    def __init__(self, counts: np.ndarray, max_work: int) -> None:
        self.rows = counts.sum(axis=1)
        self.columns = counts.sum(axis=0)
        self.work_left = max_work
        self.lg = gammaln(np.arange(int(counts.sum()) + 2, dtype=float) + 1.0)  # log k!
        self.strides = np.cumprod([1, *(self.columns[:-1] + 1)]).astype(np.int64)
        self.splits = [self._splits(int(r)) for r in self.rows]
        self.observed = float(sum(self._weight(row[None, :])[0] for row in counts))
        self.nodes = self._reachable()
        self.high, self.low = self._bounds()

    def p_value(self) -> float:
        limit = self.observed + math.log1p(RELATIVE_TOLERANCE)
        total = self._weight(self.columns[None, :])[0]  # log Σ of every table's weight
        codes = np.array([self._code(self.columns)])
        past, many = np.zeros(1), np.ones(1)
        p = 0.0
        for stage in range(len(self.rows)):
            if stage:
                codes, past, many = self._follow(stage - 1, codes, past, many)
            at = np.searchsorted(self.nodes[stage], codes)
            every = past + self.high[stage][at] <= limit
            p += float((many[every] * np.exp(
                past[every] + self._weight(self._decode(codes[every])) - total)).sum())
            undecided = ~every & (past + self.low[stage][at] <= limit)
            if not undecided.any():  # (at the last stage, nothing is: high = low)
                break
            codes, past, many = codes[undecided], past[undecided], many[undecided]
            codes, past, many = self._merged(codes, past, many)
        return min(1.0, p)

    def _follow(self, stage: int, codes: np.ndarray, past: np.ndarray,
                many: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The paths one row further."""
        cells, weights = self.splits[stage]
        parent, split = self._pairs(self._decode(codes), cells)
        return (codes[parent] - cells[split] @ self.strides, past[parent] + weights[split],
                many[parent])

    @staticmethod
    def _merged(codes: np.ndarray, past: np.ndarray,
                many: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Paths at the same node with the same weight (permuted rows) as one."""
        key = np.rint(past * 1e9).astype(np.int64)
        order = np.lexsort((key, codes))
        codes, key, past, many = codes[order], key[order], past[order], many[order]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = (codes[1:] != codes[:-1]) | (key[1:] != key[:-1])
        starts = np.flatnonzero(first)
        return codes[starts], past[starts], np.add.reduceat(many, starts)

    def _reachable(self) -> list[np.ndarray]:
        """The nodes of each stage (sorted codes of what is left of the columns)."""
        nodes = [np.array([self._code(self.columns)])]
        for stage in range(len(self.rows) - 1):
            cells, _ = self.splits[stage]
            parent, split = self._pairs(self._decode(nodes[-1]), cells)
            nodes.append(np.unique(nodes[-1][parent] - cells[split] @ self.strides))
        return nodes

    def _bounds(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per stage and node: the largest and the smallest log weight of a completion."""
        last = self._weight(self._decode(self.nodes[-1]))  # the last row takes what is left
        high, low = [last], [last]
        for stage in range(len(self.rows) - 2, -1, -1):
            cells, weights = self.splits[stage]
            codes = self.nodes[stage]
            parent, split = self._pairs(self._decode(codes), cells)
            at = np.searchsorted(self.nodes[stage + 1], codes[parent] - cells[split]
                                 @ self.strides)
            starts = np.flatnonzero(np.diff(parent, prepend=-1))  # (each node has a split)
            high.insert(0, np.maximum.reduceat(weights[split] + high[0][at], starts))
            low.insert(0, np.minimum.reduceat(weights[split] + low[0][at], starts))
        return high, low

    def _pairs(self, left: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (node, split) with the split fitting in what the node has left."""
        self._spend(len(left) * len(cells))
        parents, splits = [], []
        step = max(1, CHUNK // max(1, len(cells)))
        for start in range(0, len(left), step):
            fits = (left[start:start + step, None, :] >= cells[None, :, :]).all(axis=2)
            p, s = np.nonzero(fits)
            parents.append(p + start)
            splits.append(s)
        return np.concatenate(parents), np.concatenate(splits)

    def _splits(self, total: int) -> tuple[np.ndarray, np.ndarray]:
        """Every way to put ``total`` in the columns (at most a column's total in it),
        and each one's log weight."""
        ways = np.zeros((1, 0), dtype=np.int64)
        room = np.concatenate([np.cumsum(self.columns[::-1])[::-1][1:], [0]])
        for j, top in enumerate(self.columns):
            placed = ways.sum(axis=1)
            first = np.maximum(0, total - placed - room[j])
            last = np.minimum(top, total - placed)
            reps = np.maximum(0, last - first + 1)
            self._spend(int(reps.sum()))
            base = np.repeat(np.arange(len(ways)), reps)
            offsets = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
            ways = np.column_stack([ways[base], first[base] + offsets])
        return ways, self._weight(ways)

    def _spend(self, work: int) -> None:
        self.work_left -= work
        if self.work_left < 0:
            raise TooLarge

    def _weight(self, cells: np.ndarray) -> np.ndarray:
        """log (r!/Π x!) of each row of cells (r: their sum)."""
        return self.lg[cells.sum(axis=1)] - self.lg[cells].sum(axis=1)

    def _code(self, left: np.ndarray) -> int:
        return int(np.asarray(left, dtype=np.int64) @ self.strides)

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        return (codes[:, None] // self.strides[None, :]) % (self.columns + 1)[None, :]
