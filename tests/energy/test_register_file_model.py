"""hwsim's register-file model: its closed form, its physics, and hwcomponents finding it."""

from __future__ import annotations

import itertools
import math

import pytest
from absent import require_module

NEEDS_MODELS = True

hwcomponents = require_module("hwcomponents", "needs the energy extra: pip install -e '.[energy]'")

from hwcomponents.scaling import tech_node_area, tech_node_energy  # noqa: E402

from hwcomponents_hwkd.register_file import CELLS, RegisterFile, register_file_costs  # noqa: E402
from hwsim.energy.components.model_registry import hwkd_models  # noqa: E402


def closed_form_read(D: int, W: int) -> float:
    """The module docstring's E_read for one bank, written out again independently."""
    c = CELLS
    toggles = 0.5 * (D - 1) - (D - 1 / D) / 6 if D > 1 else 0.0
    return 0.5 * W * (D - 1) * c.e_sel + W * toggles * c.e_mux + 0.5 * W * c.e_out


def closed_form_write(D: int, W: int) -> float:
    c = CELLS
    bits = math.ceil(math.log2(D)) if D > 1 else 0
    return (
        0.5 * bits * D * c.e_dec
        + 2 * c.e_en
        + 2 * D * c.e_icg
        + 2 * W * c.e_ck
        + 0.5 * W * c.e_q
        + 0.5 * W * D * c.e_d
    )


@pytest.mark.parametrize(("depth", "width"), [(1, 8), (12, 16), (64, 8), (192, 16), (8192, 2048)])
def test_model_matches_its_closed_form_at_45nm(depth, width) -> None:
    model = RegisterFile(45e-9, width, depth)
    assert model.read().energy == pytest.approx(closed_form_read(depth, width), rel=1e-12)
    assert model.write().energy == pytest.approx(closed_form_write(depth, width), rel=1e-12)


@pytest.mark.parametrize("depth", [2, 8, 64])
def test_mux_toggle_count_matches_brute_force(depth) -> None:
    """T(D): expected multiplexer-output changes per bit between two random reads of random data."""
    from hwcomponents_hwkd.register_file import _mux_toggles

    levels = int(math.log2(depth))
    expected = 0.0
    for k in range(levels):
        span = 2 ** (
            k + 1
        )  # a level-k multiplexer chooses among `span` leaves with address bits 0..k
        differs = (
            sum((a % span) != (b % span) for a in range(depth) for b in range(depth)) / depth**2
        )
        expected += (
            (depth // span) * differs * 0.5
        )  # a different leaf holds a different bit half the time
    assert _mux_toggles(depth) == pytest.approx(expected, rel=1e-12)


def test_other_nodes_scale_with_hwcomponents_technology_tables() -> None:
    at45, at32 = RegisterFile(45e-9, 16, 64), RegisterFile(32e-9, 16, 64)
    assert at32.read().energy == pytest.approx(
        at45.read().energy * tech_node_energy(32e-9, 45e-9), rel=1e-12
    )
    assert at32.area == pytest.approx(at45.area * tech_node_area(32e-9, 45e-9), rel=1e-12)


def test_energy_and_area_grow_with_depth_and_width() -> None:
    depths = [2, 4, 12, 16, 64, 192, 1024, 8192]
    widths = [1, 8, 16, 64, 512, 2048]
    for d0, d1 in itertools.pairwise(depths):
        a, b = register_file_costs(d0, 16), register_file_costs(d1, 16)
        assert (
            0 < a.read_j < b.read_j
            and 0 < a.write_j < b.write_j
            and a.area_um2 < b.area_um2
            and a.leak_w < b.leak_w
        )
    for w0, w1 in itertools.pairwise(widths):
        a, b = register_file_costs(128, w0), register_file_costs(128, w1)
        assert 0 < a.read_j < b.read_j and 0 < a.write_j < b.write_j and a.area_um2 < b.area_um2


def test_read_energy_is_proportional_to_the_array_for_large_arrays() -> None:
    big = register_file_costs(4096, 256).read_j
    assert register_file_costs(8192, 256).read_j / big == pytest.approx(2, rel=0.01)
    assert register_file_costs(4096, 512).read_j / big == pytest.approx(2, rel=0.01)


def test_ports_cost_area_not_access_energy_and_banks_shorten_write_lines() -> None:
    one, two = register_file_costs(192, 16, n_ports=1), register_file_costs(192, 16, n_ports=2)
    assert two.read_j == one.read_j and two.write_j == one.write_j and two.area_um2 > one.area_um2
    banked = register_file_costs(1024, 64, n_banks=4)
    flat = register_file_costs(1024, 64)
    assert banked.write_j < flat.write_j
    with pytest.raises(ValueError, match="banks"):
        register_file_costs(4, 16, n_banks=8)


def test_hwcomponents_finds_the_model_by_accelergy_class_name() -> None:
    models = hwcomponents.get_models(*hwkd_models(), include_installed=False)
    attributes = {"tech_node": 45e-9, "width": 16, "depth": 192}
    cost = hwcomponents.get_action_cost("regfile", attributes, "read", {}, models=models)
    assert cost.energy == pytest.approx(RegisterFile(45e-9, 16, 192).read().energy)
    area = hwcomponents.get_area("regfile", attributes, models=models)
    assert area == pytest.approx(RegisterFile(45e-9, 16, 192).area)
