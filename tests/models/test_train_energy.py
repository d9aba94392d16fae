"""The energy call site: estimate_energy calls hwsim exactly as agreed, and train() reports it."""

import json
import sys
import types
from pathlib import Path

import lightning as L
import pandas as pd
import pytest
import torch
from absent import require_module

from models.errors import UserError
from models.hw_energy import estimate_energy
from models.resnet import build_student


class FakeNetworkEnergy:
    def __init__(self, workloads, accelerator, table, settings=None, progress=True):
        self.calls = (workloads, accelerator, table, settings)
        self.total_energy_pj = 1234.5

    def by_level(self):
        return {"DRAM": 1000.0, "compute": 234.5}

    def to_dataframe(self):
        return pd.DataFrame(
            [{"layer": "conv1", "energy_pj": 1000.0}, {"layer": "fc", "energy_pj": 234.5}]
        )

    def to_dict(self):
        return {"total_energy_pj": self.total_energy_pj}

    def to_csv(self, path):
        self.to_dataframe().to_csv(path, index=False)

    def plot(self, path):
        Path(path).write_bytes(b"png")


@pytest.fixture
def fake_hwsim(monkeypatch):
    """hwsim's network-energy API and models.workloads, recorded instead of computed."""
    import hwsim
    import hwsim.energy

    seen = {}

    def extract_workloads(model, input_shape):
        seen["input_shape"] = input_shape  # eval mode is extract_workloads' job (test_workloads)
        return ["workload"]

    monkeypatch.setitem(
        sys.modules, "models.workloads", types.SimpleNamespace(extract_workloads=extract_workloads)
    )

    def load_accelerator(name, datawidth=None):
        seen["accelerator"] = (name, datawidth)
        return types.SimpleNamespace(architecture=f"arch:{name}", compound_components=())

    monkeypatch.setattr(hwsim, "load_accelerator", load_accelerator, raising=False)
    monkeypatch.setattr(
        hwsim.energy, "load_energy_table", lambda name, **_: f"table:{name}", raising=False
    )

    def network_energy(workloads, accelerator, table, settings=None, progress=True):
        seen["objective"] = settings.objective
        return FakeNetworkEnergy(workloads, accelerator, table, settings, progress)

    monkeypatch.setattr(hwsim, "network_energy", network_energy, raising=False)
    return seen


def test_estimate_energy_calls_hwsim_as_agreed(fake_hwsim, tmp_path):
    model = build_student("resnet8", width=8).train()
    hw = {"arch": "eyeriss_like_q3", "energy": "table1", "datawidth": 8, "objective": "delay"}
    energy = estimate_energy(model, (1, 3, 32, 32), hw, out_dir=tmp_path)
    assert fake_hwsim == {
        "input_shape": (1, 3, 32, 32),
        "accelerator": ("eyeriss_like_q3", 8),  # re-targeted to the word width
        "objective": "delay",
    }
    assert model.training  # and the model is given back as it was
    assert energy["total_pj"] == 1234.5 and energy["datawidth"] == 8
    assert energy["energy_table"] == "table1" and energy["objective"] == "[delay, energy]"
    assert energy["layers"][1] == {"layer": "fc", "energy_pj": 234.5}
    assert (tmp_path / "energy.csv").is_file() and (tmp_path / "energy.png").is_file()


def test_train_prices_the_published_word_width_and_names_table_and_objective(
    fake_hwsim, small_cfg, train_module, caplog
):
    """A quantized student on the course's 16-bit words, mapped by [delay, energy]; result.json
    and the printed summary say which energy table and objective produced the number."""
    cfg = small_cfg("debug=fdr", "hw.enabled=true", "model.quant.bits=4")
    with caplog.at_level("INFO", logger="train"):
        result = train_module.train(cfg)
    assert (
        fake_hwsim["accelerator"] == ("eyeriss_like_q3", 16) and fake_hwsim["objective"] == "delay"
    )
    assert result.energy_pj == 1234.5 and result.energy["datawidth"] == 16
    assert result.energy["arch"] == "eyeriss_like_q3"
    saved = json.loads((Path(cfg.paths.output_dir) / "result.json").read_text())
    assert saved["energy"]["layers"][0]["layer"] == "conv1"
    assert saved["energy"]["energy_table"] == cfg.hw.energy  # whatever the default table is
    assert saved["energy"]["objective"] == "[delay, energy]"
    summary = caplog.records[-1].getMessage()
    assert f"energy table {cfg.hw.energy}, mapper objective [delay, energy]" in summary
    assert "eyeriss_like_q3 at 16 bits" in summary


def test_datawidth_student_retargets_to_the_quantized_bits(fake_hwsim, small_cfg, train_module):
    cfg = small_cfg("debug=fdr", "hw.enabled=true", "model.quant.bits=4", "hw.datawidth=student")
    result = train_module.train(cfg)
    assert fake_hwsim["accelerator"] == ("eyeriss_like_q3", 4) and result.energy["datawidth"] == 4


def test_models_energy_and_energy_objective_are_one_override_away(
    fake_hwsim, small_cfg, train_module
):
    cfg = small_cfg("debug=fdr", "hw.enabled=true", "hw.energy=hwcomponents", "hw.objective=energy")
    result = train_module.train(cfg)
    assert fake_hwsim["objective"] == "energy"
    assert (
        result.energy["energy_table"] == "hwcomponents"
        and result.energy["objective"] == "[energy, delay]"
    )


def test_float_student_uses_hw_datawidth(fake_hwsim, small_cfg, train_module):
    result = train_module.train(small_cfg("debug=fdr", "hw.enabled=true", "hw.datawidth=16"))
    assert result.energy["datawidth"] == 16


def test_real_hwsim_energy_of_a_student(tmp_path):
    """With hwsim's network energy in place: a positive total, one row per conv/linear layer."""
    require_module("hwcomponents", "needs the energy extra: pip install -e '.[energy]'")
    model = build_student("resnet8", width=8)
    energy = estimate_energy(
        model, (1, 3, 32, 32), {"arch": "eyeriss_like_q3", "energy": "hwcomponents"}, tmp_path
    )
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    assert energy["total_pj"] > 0 and len(energy["layers"]) == len(layers)


class NoTraining(L.Callback):
    def on_train_start(self, trainer, module):
        raise AssertionError("the hw.* mistake should have stopped the run before training")


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("hw.arch=nosuch", r"^hw: nosuch: not a shipped accelerator"),
        ("hw.energy=nosuch", r"^hw: nosuch: not a named energy table"),
        ("hw.objective=cost", r"^hw\.objective='cost'"),
        ("hw.datawidth=wide", r"^hw\.datawidth='wide' must be"),
    ],
)
def test_bad_hw_values_stop_the_run_before_training(small_cfg, train_module, override, pattern):
    cfg = small_cfg("debug=fdr", "hw.enabled=true", override)
    with pytest.raises(UserError, match=pattern):
        train_module.train(cfg, callbacks=[NoTraining()])
