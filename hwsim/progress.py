"""Progress bars for long searches, with tqdm imported only when a bar is shown.

tqdm's import reads package metadata (~35 ms), a tenth of a one-layer ``hwsim mapper`` call; a
search that shows no bar (most calls) should not pay it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class _Silent:
    """What a disabled bar does: iterate, and close as nothing."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def close(self) -> None:
        pass


def progress_bar(items: Iterable[Any], *, desc: str, shown: bool) -> Any:
    """`items` with a transient tqdm bar labelled `desc` when `shown`, else just `items`;
    either way it has ``close()``."""
    if not shown:
        return _Silent(items)
    from tqdm import tqdm

    return tqdm(items, desc=desc, leave=False)
