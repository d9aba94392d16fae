"""Lightning's start-up banners kept off the terminal (they say nothing about the run).

Every Trainer logs "GPU available: ...", "TPU available: ...", "HPU available: ..." and a "💡 Tip"
advertising a cloud logger; a person reading the terminal wants the run's own lines. The filter
drops exactly those records; Lightning's other messages pass.
"""

import logging

#: Where Lightning's rank-zero messages are logged, and how the dropped ones begin.
LOGGER = "lightning.pytorch.utilities.rank_zero"
BANNERS = ("GPU available:", "TPU available:", "HPU available:", "💡 Tip:")


class StartupBanners(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(BANNERS)


def quiet_banners() -> None:
    """Install the filter once (idempotent)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, StartupBanners) for f in logger.filters):
        logger.addFilter(StartupBanners())
