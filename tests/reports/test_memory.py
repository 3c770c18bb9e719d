"""A report job gives back the memory its report freed."""

from __future__ import annotations

import sys

import pytest

from clinic.reports import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_glibc_is_asked_to_return_free_memory():
    trim = memory._malloc_trim()
    assert trim is not None and trim(0) in (0, 1)


def test_the_arrow_pool_is_released_only_where_a_report_loaded_arrow(monkeypatch):
    released = []

    class Pool:
        def release_unused(self) -> None:
            released.append(True)

    class Arrow:
        @staticmethod
        def default_memory_pool() -> Pool:
            return Pool()

    monkeypatch.delitem(sys.modules, "pyarrow", raising=False)
    memory.give_back_memory()
    assert released == [] and "pyarrow" not in sys.modules  # not imported for this
    monkeypatch.setitem(sys.modules, "pyarrow", Arrow)
    memory.give_back_memory()
    assert released == [True]
