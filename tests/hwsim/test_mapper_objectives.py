"""The mapper objective as people write it: hwsim's names and Timeloop's optimization-metrics."""

import numpy as np
import pytest

from hwsim.errors import SpecError
from hwsim.mapper.objectives import objective_label, parse_objective
from hwsim.mapper.search import objective_keys


@pytest.mark.parametrize(
    ("value", "objective"),
    [
        ("delay", "delay"),
        (["delay", "energy"], "delay"),  # the course's Q3 mapper.yaml
        ("[delay, energy]", "delay"),
        ("delay,energy", "delay"),
        (("DELAY",), "delay"),
        ("energy", "energy"),
        (["energy", "delay"], "energy"),
        (["energy"], "energy"),
        ("edp", "edp"),
        (["edp", "energy"], "edp"),
    ],
)
def test_names_and_metric_lists(value, objective):
    assert parse_objective(value) == objective


@pytest.mark.parametrize("value", ["cost", ["energy", "edp"], ["delay", "energy", "edp"], [], 3])
def test_anything_else_is_one_error_listing_what_works(value):
    with pytest.raises(SpecError, match=r"unknown mapper objective .*: use one of energy = "):
        parse_objective(value)


def test_labels_are_the_ranking_objective_keys_implements():
    """[delay, energy]: cycles first, energy breaks ties; the label says what the ranking does."""
    energy, cycles = np.array([5.0, 3.0, 4.0]), np.array([10.0, 20.0, 10.0])
    for name, first, second in (("delay", cycles, energy), ("energy", energy, cycles)):
        assert objective_label(name) == f"[{name}, {'energy' if name == 'delay' else 'delay'}]"
        primary, secondary = objective_keys(energy, cycles, name)
        assert np.array_equal(primary, first) and np.array_equal(secondary, second)
    best = np.lexsort((energy, cycles))[0]  # fewest cycles (rows 0 and 2), then least energy
    assert best == 2
    primary, secondary = objective_keys(energy, cycles, parse_objective(["delay", "energy"]))
    assert np.lexsort((secondary, primary))[0] == 2
    assert objective_label("edp") == "[edp, energy]" == objective_label("[edp]")
