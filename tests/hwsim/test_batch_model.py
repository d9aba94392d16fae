"""The engine against the oracles (tests/oracles), on random spatial and temporal mappings
(hypothesis): the scalar model (exact arithmetic, one mapping at a time, link transfers planned
per step) gives identical counts, tiles and partitions for every mapping, with the engine
interpreted and compiled; the NumPy oracle (vectorised over rows, no link planning) agrees bit
for bit on whole batches of arbitrary bounds — counts, fits and energies — wherever it sees no
possible link transfer, and on a real mapper mapspace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles.batch_numpy import numpy_counts, numpy_energy, numpy_tile_fits
from oracles.scalar import scalar_analyze
from oracles.traffic import level_traffic
from spec_builders import problem

from hwsim.accelerators import load_accelerator
from hwsim.analytical.batch import Skeleton, evaluate_batch, tile_fits
from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.spec.architecture import parse_architecture
from hwsim.spec.mapping import bind_mapping

DIMS = ["A", "B", "C"]
COEFFICIENTS = {"one": 1, "two": 2}


def split(n: int, parts: int) -> st.SearchStrategy[list[int]]:
    if parts == 1:
        return st.just([n])
    return st.sampled_from([d for d in range(1, n + 1) if n % d == 0]).flatmap(
        lambda d: split(n // d, parts - 1).map(lambda rest: [d, *rest])
    )


@st.composite
def spatial_cases(draw):
    sizes = {d: draw(st.sampled_from([1, 2, 3, 4, 6])) for d in DIMS}
    spaces = []
    for name, rw in (("X", False), ("Y", False), ("Z", True)):
        ranks = []
        for _ in range(draw(st.integers(1, 2))):
            terms = draw(st.lists(st.sampled_from(DIMS), min_size=1, max_size=2, unique=True))
            ranks.append([[d, draw(st.sampled_from(sorted(COEFFICIENTS)))] for d in terms])
        spaces.append({"name": name, "projection": ranks, "read_write": rw})
    p = problem(sizes, spaces, coefficients=COEFFICIENTS)
    mesh_x, mesh_y = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if mesh_x * mesh_y == 1:
        mesh_x = 2
    nodes = [
        {"name": "Sys", "attributes": {"technology": "45nm"}},
        {"name": "Outer", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
        {
            "name": "Mid",
            "class": "SRAM",
            "attributes": {"width": 8, "datawidth": 8, "depth": 1 << 20},
        },
        {"name": "PE", "spatial": {"meshX": mesh_x, "meshY": mesh_y}},
        {
            "name": "Inner",
            "class": "regfile",
            "attributes": {"width": 8, "datawidth": 8, "depth": 1 << 20},
        },
        {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
    ]
    mac_fanout = draw(st.integers(1, 3))  # a fanout from the innermost level straight to MACs
    if mac_fanout > 1:
        nodes[-1]["spatial"] = {"meshX": mac_fanout}
    a = parse_architecture({"version": 0.4, "nodes": nodes})
    # factor each dimension over Outer (T), Mid (T), PE (spatial), Inner (T)
    factors = {d: draw(split(sizes[d], 4)) for d in DIMS}
    x_dims = draw(st.lists(st.sampled_from(DIMS), unique=True))
    x_used = y_used = 1
    spatial = {}
    for d in DIMS:
        f = factors[d][2]
        axis_x = d in x_dims
        if (x_used * f <= mesh_x) if axis_x else (y_used * f <= mesh_y):
            spatial[d] = f
            if axis_x:
                x_used *= f
            else:
                y_used *= f
        else:
            spatial[d] = 1
            factors[d][3] *= f  # keep the product: move the factor to Inner
    order = [d for d in DIMS if d in x_dims] + [d for d in DIMS if d not in x_dims]
    directives = []
    for i, name in ((0, "Outer"), (1, "Mid"), (3, "Inner")):
        perm = "".join(draw(st.permutations(DIMS)))
        directives.append(
            {
                "target": name,
                "type": "temporal",
                "factors": " ".join(f"{d}={factors[d][i]}" for d in DIMS),
                "permutation": perm,
            }
        )
    if mesh_x * mesh_y > 1:
        directives.append(
            {
                "target": "PE",
                "type": "spatial",
                "factors": " ".join(f"{d}={spatial[d]}" for d in DIMS),
                "permutation": "".join(order),
                "split": sum(1 for d in DIMS if d in x_dims),
            }
        )
    if mac_fanout > 1:  # move what fits of the innermost temporal factors onto the MAC fanout
        mac = {}
        used = 1
        for d in DIMS:
            f = factors[d][3]
            g = max(x for x in range(1, f + 1) if f % x == 0 and used * x <= mac_fanout)
            mac[d] = g
            used *= g
            factors[d][3] //= g
        directives[2]["factors"] = " ".join(f"{d}={factors[d][3]}" for d in DIMS)
        directives.append(
            {
                "target": "MAC",
                "type": "spatial",
                "factors": " ".join(f"{d}={mac[d]}" for d in DIMS),
                "permutation": "".join(DIMS),
                "split": 3,
            }
        )
    for name in ("Mid", "Inner"):
        bypass = draw(st.lists(st.sampled_from(["X", "Y", "Z"]), unique=True, max_size=2))
        if bypass:
            directives.append({"target": name, "type": "bypass", "bypass": bypass})
    version = draw(st.sampled_from(["master", "v3.0"]))
    return p, a, bind_mapping(directives, a, p), version


@pytest.mark.parametrize("interpreted", [False, True])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spatial_cases())
def test_engine_equals_scalar_oracle(interpreted, case) -> None:
    p, a, mapping, version = case
    nest = LoopNest.build(p, a, mapping)
    scalar = scalar_analyze(nest, timeloop_version=version)
    skeleton, bounds = Skeleton.from_mapping(p, a, mapping)
    batch = evaluate_batch(skeleton, bounds, version=version, interpreted=interpreted)
    counts = analyze(nest, timeloop_version=version)
    for s, name in enumerate(skeleton.level_names):
        for k, ds in enumerate(p.data_space_names):
            c = scalar.levels[name][ds]
            want = (c.reads, c.fills, c.updates, c.tile_size, c.partition_size)
            got = (
                batch.reads[0, s, k],
                batch.fills[0, s, k],
                batch.updates[0, s, k],
                batch.tiles[0, s, k],
                batch.partitions[0, s, k],
            )
            assert got == want, (name, ds)
            assert counts.levels[name][ds] == c, (name, ds)
    assert int(batch.computes[0]) == scalar.computes
    assert int(batch.compute_cycles[0]) == scalar.cycles


def test_link_transfers_are_covered() -> None:
    # A fanout whose instances forward deltas to their neighbours (the oracle finds link
    # transfers): the engine's link plans give the oracle's counts, under both versions.
    found = 0
    p = problem(
        {"A": 4, "B": 3},
        [
            {"name": "X", "projection": [[["A", "one"], ["B", "one"]]]},
            {"name": "W", "projection": [[["B", "one"]]]},
            {"name": "Z", "projection": [[["A", "one"]]], "read_write": True},
        ],
        coefficients=COEFFICIENTS,
    )
    a = parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "Sys", "attributes": {"technology": "45nm"}},
                {"name": "Outer", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
                {"name": "PE", "spatial": {"meshX": 4}},
                {
                    "name": "Inner",
                    "class": "regfile",
                    "attributes": {"width": 8, "datawidth": 8, "depth": 64},
                },
                {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
            ],
        }
    )
    m = bind_mapping(
        [
            {"target": "Outer", "type": "temporal", "factors": "A=1 B=3", "permutation": "BA"},
            {"target": "PE", "type": "spatial", "factors": "A=4 B=1", "permutation": "AB"},
            {"target": "Inner", "type": "temporal", "factors": "A=1 B=1", "permutation": "AB"},
        ],
        a,
        p,
    )
    nest = LoopNest.build(p, a, m)
    for version in ("master", "v3.0"):
        found += sum(
            t.link_transfers
            for ds in p.data_space_names
            for t in level_traffic(nest, ds, reuse="timeloop", version=version)
        )
        scalar = scalar_analyze(nest, timeloop_version=version)
        counts = analyze(nest, timeloop_version=version)
        assert counts.levels == scalar.levels
    assert found > 0  # X slides along the PE row: each PE takes the next one's operand


def test_rows_are_independent() -> None:
    # Evaluating two mappings in one batch gives the same as evaluating each alone.
    p = problem(
        {"A": 4, "B": 6},
        [
            {"name": "X", "projection": [[["A"], ["B"]]]},
            {"name": "Z", "projection": [[["A"]]], "read_write": True},
        ],
    )
    a = parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "S", "attributes": {}},
                {"name": "Outer", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
                {
                    "name": "Inner",
                    "class": "regfile",
                    "attributes": {"width": 8, "datawidth": 8, "depth": 64},
                },
                {"name": "MAC", "class": "intmac", "attributes": {}},
            ],
        }
    )
    m = bind_mapping(
        [
            {"target": "Outer", "type": "temporal", "factors": "A=2 B=3", "permutation": "AB"},
            {"target": "Inner", "type": "temporal", "factors": "A=2 B=2", "permutation": "BA"},
        ],
        a,
        p,
    )
    skeleton, row = Skeleton.from_mapping(p, a, m)
    # slots: per level its spatial A, B (unused here), then its temporal loops in order
    assert [(sl.level, sl.axis, sl.dimension) for sl in skeleton.slots] == [
        (0, "X", "A"),
        (0, "X", "B"),
        (0, "T", "B"),
        (0, "T", "A"),
        (1, "X", "A"),
        (1, "X", "B"),
        (1, "T", "A"),
        (1, "T", "B"),
    ]
    assert row.tolist() == [[1, 1, 2, 2, 1, 1, 2, 3]]
    other = np.array([[1, 1, 1, 4, 1, 1, 1, 6]])  # Inner walks all of A, Outer all of B
    both = evaluate_batch(skeleton, np.vstack([row, other]))
    for i, bounds in enumerate((row, other)):
        alone = evaluate_batch(skeleton, bounds)
        for field in ("reads", "fills", "updates", "computes", "cycles", "fits"):
            assert np.array_equal(getattr(both, field)[i : i + 1], getattr(alone, field)), field
    assert not np.array_equal(both.reads[0], both.reads[1])  # two different mappings


# ------------------------------------------------------------ engine == NumPy oracle, bit for bit
def _energy_table(skeleton: Skeleton, seed: int) -> dict[str, dict[str, float]]:
    """Irregular per-action energies, so that rounding differences would show."""
    rng = np.random.default_rng(seed)
    table = {
        name: {a: float(rng.uniform(0.1, 50.0)) for a in ("read", "fill", "update")}
        for name in skeleton.level_names
    }
    table[skeleton.architecture.compute.name] = {"compute": float(rng.uniform(0.1, 2.0))}
    return table


def assert_oracle_agrees(skeleton: Skeleton, bounds: np.ndarray, version: str, seed: int) -> None:
    oracle = numpy_counts(skeleton, bounds, version)
    energy = _energy_table(skeleton, seed)
    engine = evaluate_batch(skeleton, bounds, version=version, energy=energy)
    safe = np.ones(len(bounds), dtype=bool)
    safe[list(oracle.risky)] = False  # the oracle cannot count link transfers
    if not safe.any():  # every row may use a link transfer: nothing to compare
        assume(False)  # a drawn case is discarded; a plain test fails here
    for field in ("reads", "fills", "updates", "computes", "fits", "instances"):
        assert np.array_equal(getattr(oracle, field)[safe], getattr(engine, field)[safe]), field
    # the oracle counts compute cycles (temporal iterations); bandwidth is `test_cycles.py`'s
    assert np.array_equal(oracle.cycles[safe], engine.compute_cycles[safe]), "compute cycles"
    assert np.array_equal(numpy_tile_fits(skeleton, bounds), tile_fits(skeleton, bounds))
    assert np.array_equal(engine.fits, tile_fits(skeleton, bounds))
    level_energy = numpy_energy(skeleton, oracle, energy)
    assert engine.level_energy_pj is not None
    assert np.array_equal(level_energy[safe], engine.level_energy_pj[safe])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spatial_cases(), st.integers(0, 2**32 - 1))
def test_oracle_agrees_on_arbitrary_bounds(case, seed) -> None:
    # Any positive bounds are a valid input (not only factorizations): 32 rows of random bounds
    # on a random skeleton, many of them 1 (unused loops); spatial bounds stay small so that
    # the NumPy oracle's per-fanout Python work stays cheap.
    p, a, mapping, version = case
    skeleton, _ = Skeleton.from_mapping(p, a, mapping)
    rng = np.random.default_rng(seed)
    temporal = np.array([slot.axis == "T" for slot in skeleton.slots])
    bounds = np.where(
        temporal,
        rng.choice([1, 1, 1, 2, 3, 4, 6], size=(32, len(temporal))),
        rng.choice([1, 1, 2, 3], size=(32, len(temporal))),
    )
    assert_oracle_agrees(skeleton, bounds, version, seed)


@pytest.mark.parametrize("version", ["v3.0", "master", "e1d76d6"])
def test_oracle_agrees_on_a_mapspace(version) -> None:
    # Every factorization of a small layer on the shipped Eyeriss-like accelerator: enough rows
    # for the kernels' parallel entry points (the other tests' batches run serially).
    from hwsim.analytical.kernel import PARALLEL_ROWS
    from hwsim.mapper.constraints import parse_constraints
    from hwsim.mapper.space import Mapspace
    from hwsim.spec.layers import conv2d_problem

    accelerator = load_accelerator("eyeriss_like_q3")
    layer = conv2d_problem(C=8, M=16, P=8, Q=8, R=3, S=3, stride=2)
    constraints = parse_constraints(list(accelerator.constraints), accelerator.architecture, layer)
    space = Mapspace.build(layer, accelerator.architecture, constraints)
    skeleton = space.skeleton(space.keep_choices[0], space.default_orders())
    bounds = space.factor_rows(skeleton)
    assert len(bounds) >= PARALLEL_ROWS
    assert_oracle_agrees(skeleton, bounds, version, seed=1)


def test_unknown_timeloop_version_is_an_error() -> None:
    # the engine tells versions apart by two flags: anything unknown must not run as v3.0
    from hwsim.errors import SpecError

    arch = parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "Sys", "attributes": {"technology": "45nm"}},
                {"name": "Outer", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
                {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
            ],
        }
    )
    p = problem({"A": 2}, [{"name": "X", "projection": [[["A", "one"]]]}], coefficients={"one": 1})
    skeleton = Skeleton(p, arch, ("Outer",), (), {"X": (True,)})
    bounds = np.ones((1, 0), dtype=np.int64)
    with pytest.raises(SpecError, match="unknown timeloop_version 'v3'"):
        evaluate_batch(skeleton, bounds, version="v3")


@pytest.mark.parametrize("high", [3, 1000, 2**40])  # presence table, packed sort, np.unique
def test_distinct_rows_is_exact(high: int) -> None:
    from hwsim.analytical.batch import distinct_rows

    rng = np.random.default_rng(0)
    keys = rng.integers(-high, high, size=(500, 3))
    keys = np.concatenate([keys, keys[::3]])  # repeats
    index, inverse = distinct_rows(keys)
    expected, expected_inverse = np.unique(keys, axis=0, return_inverse=True)
    assert np.array_equal(keys[index], expected)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
