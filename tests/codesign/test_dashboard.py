"""The study watched live: optuna-dashboard over its storage, the page rendered by headless
Chromium (the dashboard is a JavaScript app: the DOM is read after its scripts ran)."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from servers import chromium, free_port, require, wait_for_port

import sweep

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def _page_text(browser: str, url: str) -> str:
    """The page's text once its scripts ran (15 s of virtual time)."""
    dom = subprocess.run(
        [browser, *BROWSER_FLAGS, "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", dom, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", text))


@pytest.mark.slow
def test_optuna_dashboard_shows_the_studys_trials_in_a_browser(sweep_cfg, fake_train, tmp_path):
    browser = require(chromium(), "Chromium (Debian's chromium package)")
    fake_train.fail_on = {2: RuntimeError("boom")}
    result = sweep.run_sweep(sweep_cfg("sweep.n_trials=3"), train_fn=fake_train)
    port = free_port()
    dashboard = Path(sys.executable).parent / "optuna-dashboard"  # the venv's command
    with (tmp_path / "dashboard.log").open("w") as log:
        server = subprocess.Popen(
            [dashboard, result.storage, "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=log,
        )
        try:
            wait_for_port(port, 60, server)
            trials = _page_text(browser, f"http://127.0.0.1:{port}/dashboard/studies/1/trials")
            study = _page_text(browser, f"http://127.0.0.1:{port}/dashboard/studies/1")
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert "4 Trials" in trials  # 3 complete and the failed one
    states = re.findall(r"Trial (\d) (Complete|Fail)\b", trials)
    assert states[:4] == [("0", "Complete"), ("1", "Fail"), ("2", "Complete"), ("3", "Complete")]
    assert "kd.alpha" in trials and "model.width" in trials  # the parameters
    assert "demo" in study and "Pareto Front" in study
