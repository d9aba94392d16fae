"""Lightning's start-up banners kept off the terminal (they say nothing about the run).

Every Trainer logs "GPU available: ...", "TPU available: ...", "HPU available: ..." and a "💡 Tip"
advertising a cloud logger, and (Lightning 2.6 with PyTorch 2.10+) a deprecation warning about its
own use of PyTorch's pytree API that no user can act on; a person reading the terminal wants the
run's own lines. The filters drop exactly those; Lightning's other messages pass.
"""

import logging
import warnings

#: Where Lightning's rank-zero messages are logged, and how the dropped ones begin.
LOGGER = "lightning.pytorch.utilities.rank_zero"
BANNERS = ("GPU available:", "TPU available:", "HPU available:", "💡 Tip:")


class StartupBanners(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(BANNERS)


def quiet_banners() -> None:
    """Install the filters once (idempotent)."""
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, StartupBanners) for f in logger.filters):
        logger.addFilter(StartupBanners())
