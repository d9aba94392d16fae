"""Properties on random problems and random valid mappings over 2–3 levels (hypothesis).

- every non-backing level that keeps a read-only data space is filled at least once per distinct
  element; partial sums reach the parent at least once per output element;
- the analytical model with the trace's buffer policy (``reuse="retain"``) agrees exactly with
  both trace walks (vectorized and stepwise).
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_builders import arch, mapping, problem

from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.trace.simulator import simulate
from hwsim.trace.tiles import ElementNumbering, tile_ids

DIMS = ["A", "B", "C", "D"]
SIZES = [1, 2, 3, 4, 6, 8]
COEFFICIENTS = {"one": 1, "two": 2, "three": 3}


def factorizations(n: int, parts: int) -> st.SearchStrategy[list[int]]:
    """Ordered ways to write n as a product of `parts` factors."""
    if parts == 1:
        return st.just([n])
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    return st.sampled_from(divisors).flatmap(
        lambda d: factorizations(n // d, parts - 1).map(lambda rest: [d, *rest])
    )


@st.composite
def projections(draw, dims: list[str]) -> list[list[list[str]]]:
    ranks = []
    for _ in range(draw(st.integers(1, 2))):
        terms = draw(st.lists(st.sampled_from(dims), min_size=1, max_size=2, unique=True))
        ranks.append([[d, draw(st.sampled_from(sorted(COEFFICIENTS)))] for d in terms])
    return ranks


@st.composite
def mapped_problems(draw):
    dims = DIMS[: draw(st.integers(1, 4))]
    sizes = {d: draw(st.sampled_from(SIZES)) for d in dims}
    spaces = [
        {"name": "X", "projection": draw(projections(dims))},
        {"name": "Y", "projection": draw(projections(dims))},
        {"name": "Z", "projection": draw(projections(dims)), "read_write": True},
    ]
    p = problem(sizes, spaces, coefficients=COEFFICIENTS)
    names = ["Outer", "Middle", "Inner"][: draw(st.integers(2, 3))]
    a = arch(*[(n, "SRAM", None) for n in names])
    factors = {d: draw(factorizations(sizes[d], len(names))) for d in dims}
    directives = []
    for i, name in enumerate(names):
        perm = draw(st.permutations(dims))
        directives.append(
            {
                "target": name,
                "type": "temporal",
                "factors": " ".join(f"{d}={factors[d][i]}" for d in dims),
                "permutation": "".join(perm),
            }
        )
        if i > 0:
            bypass = draw(st.lists(st.sampled_from(["X", "Y", "Z"]), unique=True, max_size=2))
            if bypass:
                directives.append({"target": name, "type": "bypass", "bypass": bypass})
    return LoopNest.build(p, a, mapping(a, p, directives))


def as_tuples(counts):
    return {
        (lvl, ds): (c.reads, c.fills, c.updates, c.tile_size)
        for lvl, s in counts.levels.items()
        for ds, c in s.items()
    }


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(mapped_problems())
def test_retain_policy_agrees_with_the_trace(nest: LoopNest) -> None:
    closed_form = as_tuples(analyze(nest, reuse="retain"))
    assert closed_form == as_tuples(simulate(nest))
    if nest.computes <= 400:
        assert closed_form == as_tuples(simulate(nest, mode="stepwise"))


@SETTINGS
@given(mapped_problems())
def test_every_element_arrives_at_least_once(nest: LoopNest) -> None:
    for reuse in ("timeloop", "retain"):
        counts = analyze(nest, reuse=reuse)
        for ds in nest.problem.data_spaces:
            distinct = len(tile_ids(ElementNumbering.of(nest, ds.name), nest.problem.bounds))
            kept = [s for s, k in enumerate(nest.keep[ds.name]) if k]
            for inner, outer in itertools.pairwise(kept):
                child = counts.levels[nest.level_names[inner]][ds.name]
                parent = counts.levels[nest.level_names[outer]][ds.name]
                if ds.read_write:
                    assert parent.updates >= distinct
                else:
                    assert child.fills >= distinct
                    assert parent.reads == child.fills
