"""Reports name what priced the energies, and say when quantization bits cannot move them."""

import pandas as pd

from codesign.discussion import discuss
from codesign.report import pricing


def trials(datawidths, bits, tables=("models",) * 4, objectives=("[delay, energy]",) * 4):
    return pd.DataFrame(
        {
            "number": range(4),
            "state": ["complete"] * 4,
            "accuracy": [0.80, 0.82, 0.84, 0.86],
            "energy_uj": [10.0, 10.0, 12.0, 12.0] if len(set(datawidths)) == 1 else [5, 10, 6, 12],
            "widths": ["[8, 16, 32]"] * 4,
            "depth": [8] * 4,
            "blocks": ["[1, 1, 1]"] * 4,
            "block": ["basic"] * 4,
            "bits": bits,
            "datawidth": datawidths,
            "energy_table": list(tables),
            "objective": list(objectives),
            "macs": [1e6, 1e6, 2e6, 2e6],
            "prune_reason": [None] * 4,
        }
    )


def test_bits_on_fixed_words_are_said_to_move_accuracy_only():
    lines = discuss(trials([16] * 4, [None, 8, None, 8]), [])
    said = [line for line in lines if line.startswith("**Quantization bits** move accuracy only")]
    assert said == [
        "**Quantization bits** move accuracy only: every student ran on 16-bit words "
        "(hw.datawidth); hw.datawidth=student gives each its own bits, and the energy with them."
    ]


def test_retargeted_words_let_bits_move_energy():
    lines = discuss(trials([16, 8, 16, 8], [None, 8, None, 8]), [])
    assert not any("move accuracy only" in line for line in lines)


def test_pricing_names_each_table_and_objective_used():
    assert (
        pricing(trials([16] * 4, [8] * 4))
        == "energy table models, mapper objective [delay, energy]"
    )
    mixed = trials([16] * 4, [8] * 4, tables=("models", "models", "classic", "classic"))
    assert pricing(mixed) == (
        "energy table models, mapper objective [delay, energy]; "
        "energy table classic, mapper objective [delay, energy]"
    )
    assert pricing(trials([16] * 4, [8] * 4).drop(columns=["objective"])) == ""  # older studies
