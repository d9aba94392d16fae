"""Q1: the report's numbers are hwsim table2's, and the reuse analysis is right by hand."""

import pytest

from course.q1 import build_q1, q1_markdown
from course.reuse import course_nests, describe_nest, nest_reuse
from hwsim.report.table2 import build_table2


@pytest.fixture(scope="module")
def q1(tmp_path_factory):
    return build_q1(tmp_path_factory.mktemp("q1"))


def test_the_section_holds_table2_exactly_as_hwsim_prints_it(q1):
    text = q1_markdown(q1, "table2.png")
    printed = build_table2().to_markdown()  # what `hwsim table2` prints
    table = [line for line in printed.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 2 * 5  # header, rule, five mappings × two engines
    for line in table:
        assert line in text
    assert "| ws | trace | 174 | 512 | 4,096 | 1,710 | 1,536 | 7,472.38 |" in text
    assert q1.figure.is_file()


def test_best_and_worst_and_the_tensor_that_makes_the_difference(q1):
    text = q1_markdown(q1, "table2.png")
    # os-tiled 7,422.16 pJ, os-untiled.map2 19,022.98 pJ: the weights' p16 loop sits outermost,
    # so all 96 weights come from main memory 16 times (1,536 reads) instead of once (96).
    assert (
        "**Best: os-tiled**, 7,422.16 pJ; **worst: os-untiled.map2**, 19,022.98 pJ (2.56×" in text
    )
    assert "the Weights at MainMemory make the largest single difference, +11,448.00 pJ" in text
    assert "1,536 MainMemory reads under os-untiled.map2 against 96 under os-tiled" in text
    assert "its innermost refetched loop is p16 at MainMemory (#3 from the inside)" in text
    assert (
        "ws: Weights stationary (loop #1 is p16); os-untiled, os-untiled.map2, os-tiled, " in text
    )


def test_engine_and_version_differences_name_their_counts(q1):
    text = q1_markdown(q1, "table2.png")
    assert "MainMemory Inputs reads: Timeloop rules 288, trace 78" in text
    assert "MainMemory reads master 18, v3.0 48" in text  # os-untiled.map2's inputs
    assert "m32 does not index the Inputs" in text
    assert q1.table2_v30.timeloop_version == "v3.0"


def test_reuse_distance_and_footprint_by_hand():
    nests = course_nests()
    assert describe_nest(nests["ws"]) == "MainMemory[m16 r3] Buffer[m2 p16]"
    ws = nest_reuse("ws", nests["ws"])
    weights, inputs = ws.tensors["Weights"], ws.tensors["Inputs"]
    # f[m, r] does not depend on p: p16 is the innermost loop, reuse every MAC, one weight.
    assert [
        (lp.dimension, lp.position, lp.distance_macs, lp.footprint) for lp in weights.irrelevant
    ] == [("P", 1, 1, 1)]
    # i[p + r] does not depend on m: m2 (inside p16: 16 MACs, 16 inputs, kept in the 16-input
    # tile) and m16 (inside p16·m2·r3 = 96 MACs, inputs 0..17 = 18 > 16: refetched).
    assert [(lp.bound, lp.distance_macs, lp.footprint, lp.kept) for lp in inputs.irrelevant] == [
        (2, 16, 16, True),
        (16, 96, 18, False),
    ]
    assert inputs.sliding == ("R", "P") and inputs.tile == 16 and inputs.size == 18
