"""Network energy: every layer kept, identical shapes mapped once, results cached on disk (safely
shared by concurrent processes), totals and exports consistent, accelerators re-targeted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shared_material import shared_path

from hwsim.accelerators import load_accelerator
from hwsim.cli import main
from hwsim.energy.sources import load_energy_table
from hwsim.mapper import search
from hwsim.mapper.search import MapperSettings
from hwsim.network import network_energy
from hwsim.spec.layers import conv2d_problem

SETTINGS = MapperSettings(progress=False, timeloop_version="v3.0")


def ert():
    return load_energy_table(
        shared_path(
            "reference", "timeloop", "eyeriss", "u0_C3_M16_R3_s1_P32", "timeloop-mapper.ERT.yaml"
        )
    )


def layers():
    block = conv2d_problem(C=16, M=16, P=16, Q=16, R=3, S=3)
    return [
        ("stem", conv2d_problem(C=3, M=16, P=16, Q=16, R=3, S=3)),
        ("block.conv1", block),
        ("block.conv2", block),
        ("down", conv2d_problem(C=16, M=32, P=8, Q=8, stride=2)),
    ]


def test_identical_shapes_are_mapped_once_and_cached(tmp_path: Path, monkeypatch) -> None:
    calls = []
    real = search.map_problem
    monkeypatch.setattr(
        "hwsim.network.map_problem", lambda *a, **k: calls.append(a[0]) or real(*a, **k)
    )
    first = network_energy(
        layers(), "eyeriss_like_q3", ert(), settings=SETTINGS, cache=tmp_path, progress=False
    )
    assert len(calls) == 3  # block.conv1 and block.conv2 share a shape
    assert [layer.name for layer in first.layers] == ["stem", "block.conv1", "block.conv2", "down"]
    assert first.layers[1].energy_pj == first.layers[2].energy_pj
    second = network_energy(
        layers(), "eyeriss_like_q3", ert(), settings=SETTINGS, cache=tmp_path, progress=False
    )
    assert len(calls) == 3 and all(layer.cached for layer in second.layers)
    assert second.total_energy_pj == pytest.approx(first.total_energy_pj)
    # a different objective is a different cache entry
    network_energy(
        layers()[:1],
        "eyeriss_like_q3",
        ert(),
        settings=MapperSettings(progress=False, objective="delay"),
        cache=tmp_path,
        progress=False,
    )
    assert len(calls) == 4


def test_totals_breakdowns_and_exports(tmp_path: Path) -> None:
    result = network_energy(
        layers(), "eyeriss_like_q3", ert(), settings=SETTINGS, cache=False, progress=False
    )
    frame = result.to_dataframe()
    assert frame["energy_pj"].sum() == pytest.approx(result.total_energy_pj)
    assert sum(result.by_level().values()) == pytest.approx(result.total_energy_pj)
    assert sum(result.by_data_space().values()) + result.by_level()["compute"] == pytest.approx(
        result.total_energy_pj
    )
    level_columns = [f"energy_pj[{level}]" for level in result.by_level()]
    assert frame[level_columns].sum(axis=1).to_numpy() == pytest.approx(
        frame["energy_pj"].to_numpy()
    )
    assert result.total_macs == sum(p.macs for _, p in layers())
    assert all(0 < u <= 1 for u in frame["utilization"])
    csv = result.to_csv(tmp_path / "layers.csv")
    assert len(pd.read_csv(csv)) == 4
    label = {"energy": "[energy, delay]", "delay": "[delay, energy]", "edp": "[edp, energy]"}
    assert result.objective == SETTINGS.objective
    assert (
        result.pricing
        == f"energy table {result.energy_table}, mapper objective {label[SETTINGS.objective]}"
    )
    assert set(pd.read_csv(csv)["objective"]) == {label[SETTINGS.objective]}
    assert result.plot(tmp_path / "energy.png").stat().st_size > 1000
    assert json.loads(result.to_json())["total_energy_pj"] == pytest.approx(result.total_energy_pj)


WORKER = """
import sys
from hwsim.mapper.search import MapperSettings
from hwsim.network import network_energy
from hwsim.spec.layers import conv2d_problem
block = conv2d_problem(C=16, M=16, P=16, Q=16, R=3, S=3)
layers = [("stem", conv2d_problem(C=3, M=16, P=16, Q=16, R=3, S=3)), ("a", block), ("b", block),
          ("down", conv2d_problem(C=16, M=32, P=8, Q=8, stride=2))]
result = network_energy(layers, "eyeriss_like_q3", sys.argv[2], settings=MapperSettings(progress=False, timeloop_version="v3.0"),
                        cache=sys.argv[1], progress=False)
print(result.total_energy_pj)
"""


def test_concurrent_writers_share_the_cache(tmp_path: Path) -> None:
    table = shared_path(
        "reference", "timeloop", "eyeriss", "u0_C3_M16_R3_s1_P32", "timeloop-mapper.ERT.yaml"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), str(table)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    totals = []
    for w in workers:
        out, _ = w.communicate(timeout=300)
        assert w.returncode == 0
        totals.append(float(out.strip().splitlines()[-1]))
    assert max(totals) == pytest.approx(min(totals))
    entries = list(tmp_path.rglob("*.json"))
    assert len(entries) == 3 and not list(tmp_path.rglob(".tmp-*"))
    for entry in entries:
        json.loads(entry.read_text())  # every entry complete


def test_datawidth_retargets_the_accelerator() -> None:
    base = load_accelerator("eyeriss_like_q3")
    eight = load_accelerator("eyeriss_like_q3", datawidth=8)
    glb, glb8 = (
        base.architecture.storage_level("shared_glb"),
        eight.architecture.storage_level("shared_glb"),
    )
    assert (glb.word_bits, glb.block_size, glb.size) == (16, 4, 65536)
    assert (glb8.word_bits, glb8.block_size, glb8.size) == (8, 8, 131072)
    assert eight.architecture.compute.datawidth == 8


def test_network_energy_cli_on_layer_files(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "layers"
    assert main(["export-layers", "resnet8", str(folder), "--format", "v0.3"]) == 0
    capsys.readouterr()
    table = shared_path(
        "reference", "timeloop", "eyeriss", "u0_C3_M16_R3_s1_P32", "timeloop-mapper.ERT.yaml"
    )
    assert (
        main(
            [
                "network-energy",
                str(folder),
                "--energy",
                str(table),
                "--no-cache",
                "--json",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    # ResNet-8 with option-A shortcuts: stem, 2 convs in each of 3 blocks, head
    assert len(report["layers"]) == 8 and report["total_energy_pj"] > 0
    assert report["objective"] == "[delay, energy]"  # the course's, the command's default
    layers_csv = pd.read_csv(tmp_path / "out" / "layers.csv")
    assert set(layers_csv["objective"]) == {"[delay, energy]"}
    assert set(layers_csv["energy_table"]) == {report["energy_table"]}
    assert (tmp_path / "out" / "energy.png").exists()


def test_resized_accelerator_and_area() -> None:
    from hwsim.accelerators import accelerator_area_um2, resize_accelerator
    from hwsim.energy.table import EnergyTable
    from hwsim.errors import SpecError

    base = load_accelerator("eyeriss_like_q3")
    small = resize_accelerator(base, pe_columns=8, pe_rows=6, storage_depths={"shared_glb": 4096})
    arch = small.architecture
    assert arch.storage_level("DummyBuffer").instances == 8  # one per column
    assert (arch.storage_level("psum_spad").instances, arch.compute.instances) == (48, 48)
    assert arch.storage_level("shared_glb").size == 4096 * 4
    assert arch.fanout(arch.index_of("shared_glb")) == (8, 1) and arch.fanout(
        arch.index_of("DummyBuffer")
    ) == (1, 6)
    areas = {
        "shared_glb": 100.0,
        "DummyBuffer": 2.0,
        "ifmap_spad": 1.0,
        "weights_spad": 3.0,
        "psum_spad": 1.0,
        "mac": 0.5,
    }
    table = EnergyTable.from_mapping(
        "t", {k: {"read": 1.0, "area_um2": v} for k, v in areas.items()} | {"DRAM": {"read": 1.0}}
    )
    # DRAM is off chip; every other component counts once per instance
    assert accelerator_area_um2(small, table) == pytest.approx(100 + 8 * 2 + 48 * (1 + 3 + 1 + 0.5))
    with pytest.raises(SpecError, match="unknown storage level"):
        resize_accelerator(base, storage_depths={"glb": 1})
