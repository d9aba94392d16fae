"""Q2: the four component sweeps (SRAM and register file width and depth, DRAM width, integer MAC
width) priced by classic Accelergy 0.3 (`course.classic_sweeps`) and by the hwcomponents models
(`hwsim.energy.sweeps.run`, what ``hwsim sweep-components`` runs), fitted with
`hwsim.energy.sweeps.fit`, plotted on the same axes, and explained from each circuit model with
the measured exponents and ratios.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from course.classic_sweeps import classic_points, mac_split, regfile_split, sram_organisation
from course.markdown import demote_headings, table
from hwsim.energy.sweeps.classic_reference import classic_reference
from hwsim.energy.sweeps.fit import FittedSweeps, fit_power_law, fit_row
from hwsim.energy.sweeps.plan import FIXED_DEPTH, FIXED_WIDTH, MAC_WIDTHS, q2_sweeps
from hwsim.energy.sweeps.plots import plot_component
from hwsim.energy.sweeps.report import explanations, exponent_table, generation_notes

TECHNOLOGY = "45nm"
CLASSIC_LABEL = "classic Accelergy 0.3"


@dataclass(frozen=True)
class Q2:
    """The sweeps from both sources, their fits, and what is inside the classic numbers.

    Attributes:
        study: models points and fits, with the classic points as its reference.
        classic: classic points in `classic_reference`'s columns.
        recorded_deviation: largest relative difference between `classic` and the numbers
            recorded from the real classic Accelergy (NaN where none overlap).
        organisation: CACTI's SRAM organisation per point (`sram_organisation`).
        regfile: classic register-file energy split (`regfile_split`).
        mac: classic MAC energy split (`mac_split`).
        figures: component → PNG.
    """

    study: FittedSweeps
    classic: pd.DataFrame
    recorded_deviation: float
    organisation: pd.DataFrame
    regfile: pd.DataFrame
    mac: pd.DataFrame
    figures: dict[str, Path]

    @property
    def reference(self) -> pd.DataFrame:
        """The classic points as the study's reference (build_q2 always gives it one)."""
        assert self.study.reference is not None, "build_q2 fits the classic reference"
        return self.study.reference

    @property
    def reference_fits(self) -> pd.DataFrame:
        """The fits of `reference`."""
        assert self.study.reference_fits is not None, "build_q2 fits the classic reference"
        return self.study.reference_fits


def build_q2(out_dir: Path, models_points: pd.DataFrame | None = None) -> Q2:
    """Price the sweeps with both sources (`models_points`: already priced models rows, e.g. a
    `run_sweeps` result) and write one PNG per component into `out_dir`."""
    sweeps = q2_sweeps()
    if models_points is None:
        from hwsim.energy.components import default_evaluator
        from hwsim.energy.sweeps.run import run_sweeps

        models_points = run_sweeps(sweeps, technology=TECHNOLOGY, evaluator=default_evaluator())
    classic = classic_points(sweeps, TECHNOLOGY)
    study = FittedSweeps.of(models_points, classic)
    figures = {
        component: plot_component(
            component, study, out_dir / f"q2_{component}.png", reference_label=CLASSIC_LABEL
        )
        for component in dict.fromkeys(models_points.component)
    }
    return Q2(
        study,
        classic,
        _deviation(classic, classic_reference()),
        sram_organisation(sweeps, TECHNOLOGY),
        regfile_split(classic, TECHNOLOGY),
        mac_split(MAC_WIDTHS, TECHNOLOGY),
        figures,
    )


def q2_markdown(q2: Q2, figures: dict[str, str]) -> str:
    """The Q2 section; `figures`: component → the PNG's path relative to the report."""
    s = q2.study
    recorded = (
        f"they equal the numbers recorded from the real tool at all {len(q2.classic)} points "
        f"(largest relative difference {q2.recorded_deviation:.1e})"
        if q2.recorded_deviation < 1e-6
        else f"they differ from the numbers recorded from the real tool by up to "
        f"{q2.recorded_deviation:.1%}"
    )
    return "\n\n".join(
        [
            "## Q2: how component energy scales with width and depth",
            f"Two generations of energy models, both at {TECHNOLOGY}: **{CLASSIC_LABEL}** as the "
            "course ran it (CACTI plug-in for SRAM, Aladdin tables for the register file and MAC, "
            "LPDDR4 at 8 pJ/bit), computed by `hwsim.energy.classic` — "
            f"{recorded} — and today's **hwcomponents models** (`hwsim sweep-components`). "
            f"Memory width sweeps hold depth {FIXED_DEPTH}, depth sweeps hold width "
            f"{FIXED_WIDTH}. Energies are per access of the full width; Timeloop charges the "
            "maximum over an action's arguments, and so do these numbers.",
            "### Fitted power laws E ∝ width^a · depth^b",
            "Least-squares fits of log E against log x (`hwsim.energy.sweeps.fit`); cells: "
            "**exponent** (R²; local exponents between neighbouring points).",
            exponent_table(s.fits, s.reference_fits),
            "\n\n".join(
                f"![{component}: both model generations]({path})"
                for component, path in figures.items()
            ),
            f"### {CLASSIC_LABEL}: the circuits behind its curves",
            _classic_sram(q2),
            _classic_regfile(q2),
            _classic_dram_and_mac(q2),
            "### hwcomponents models: the circuits behind their curves",
            demote_headings(explanations(s.points, s.fits), 1),
            "### Where the two generations disagree, and why",
            generation_notes(s.points, q2.reference, q2.reference_fits),
            _disagreement_extras(q2),
        ]
    )


# --------------------------------------------------------------------------- helpers
def _a(fits: pd.DataFrame, component: str, sweep: str, quantity: str) -> float:
    fit = fit_row(fits, component, sweep, quantity)
    return float("nan") if fit is None else float(fit.exponent)


def _deviation(classic: pd.DataFrame, recorded: pd.DataFrame) -> float:
    keys = ["component", "sweep", "width"]
    merged = classic.merge(recorded, on=keys, suffixes=("", "_rec"))
    merged = merged[merged.depth.isna() | (merged.depth == merged.depth_rec)]
    if merged.empty:
        return float("nan")
    deviation = pd.concat(
        [(merged[c] / merged[f"{c}_rec"] - 1).abs() for c in ("read_pj", "write_pj")]
    )
    return float(deviation.max())


def _classic_sram(q2: Q2) -> str:
    ref = q2.reference_fits
    org = q2.organisation
    depth = org[org.sweep == "depth_sweep"].sort_values("depth")
    width = org[org.sweep == "width_sweep"].sort_values("width")
    d0, d1 = depth.iloc[0], depth.iloc[-1]
    w0, w1 = width.iloc[0], width.iloc[-1]
    crossing = depth[depth.write_pj < depth.read_pj]
    cross = (
        f"writes cost more than reads up to {int(depth[depth.write_pj >= depth.read_pj].depth.max())} "
        f"rows and less from {int(crossing.depth.min())} rows on"
        if len(crossing) and (depth.write_pj >= depth.read_pj).any()
        else "the read/write order does not change along the depth sweep"
    )
    rows = [
        [
            "depth" if r.sweep == "depth_sweep" else "width",
            # pandas-stubs type an itertuples field as any scalar (a str or a date, too)
            int(r.width),  # type: ignore[arg-type]
            int(r.depth),  # type: ignore[arg-type]
            f"{r.Ndwl}×{r.Ndbl}",
            r.Nspd,
            r.rows_per_subarray,
            r.read_columns,
            f"{r.read_pj:.4g}",
            f"{r.write_pj:.4g}",
        ]
        for r in org.itertuples()
    ]
    return "\n\n".join(
        [
            f"**SRAM (CACTI 7): width a = {_a(ref, 'SRAM', 'width_sweep', 'read'):.2f} read, "
            f"{_a(ref, 'SRAM', 'width_sweep', 'write'):.2f} write; depth b = "
            f"{_a(ref, 'SRAM', 'depth_sweep', 'read'):.2f} read, "
            f"{_a(ref, 'SRAM', 'depth_sweep', 'write'):.2f} write.** CACTI cuts the array into "
            "subarrays (Ndwl along the word lines × Ndbl along the bit lines), puts Nspd words "
            "side by side in a row, and routes address and data to the subarrays over H-trees. "
            "The organisation it chose for each point:",
            table(
                [
                    "sweep",
                    "width",
                    "depth",
                    "subarrays",
                    "words per row (Nspd)",
                    "rows per subarray",
                    "columns a read activates",
                    "read pJ",
                    "write pJ",
                ],
                rows,
                numeric="1245678",
            ),
            f"- **Depth ({int(d0.depth)} → {int(d1.depth)} rows, ×{d1.depth / d0.depth:g}).** "
            "A read activates a word line and swings every column of the row — all Nspd words, "
            "of which the column multiplexer passes one to the sense amplifiers. CACTI raises Nspd from "
            f"{d0.Nspd} to {d1.Nspd} to keep the bit lines short (rows per subarray "
            f"{d0.rows_per_subarray} → {d1.rows_per_subarray}, subarrays {d0.subarrays} → "
            f"{d1.subarrays}, a longer H-tree): the read's columns grow ×{_x(d0, d1, 'read_columns')} "
            f"and each gets ×{_x(d0, d1, 'rows_per_subarray')} longer, ×{_bitlines(d0, d1, True):g} in "
            f"bit-line capacitance; read energy ×{d1.read_pj / d0.read_pj:.2f}. A write drives rail "
            f"to rail only the written word's {FIXED_WIDTH} bit lines at every depth, through write "
            f"drivers instead of sense amplifiers: ×{_bitlines(d0, d1, False):g} in bit-line "
            f"capacitance, write energy ×{d1.write_pj / d0.write_pj:.2f}. Hence b(write) < b(read); "
            f"{cross}.",
            f"- **Width ({int(w0.width)} → {int(w1.width)} bits, ×{w1.width / w0.width:g}).** Each "
            "bit adds a bit-line pair, a sense amplifier and an H-tree wire. CACTI lowers Nspd "
            f"({w0.Nspd} → {w1.Nspd}) to keep rows in check, so the columns a read activates grow "
            f"×{_x(w0, w1, 'read_columns')}, but the bit lines lengthen ×{_x(w0, w1, 'rows_per_subarray')} "
            f"(rows per subarray {w0.rows_per_subarray} → {w1.rows_per_subarray}): "
            f"×{_bitlines(w0, w1, True):g} in read bit-line capacitance, plus W data wires "
            f"through the H-tree; read energy ×{w1.read_pj / w0.read_pj:.0f}. A write drives all W "
            f"bit lines rail to rail ({w0.word_columns} → {w1.word_columns} columns: CACTI's block is "
            f"at least 32 bits), ×{_bitlines(w0, w1, False):g} in capacitance; write energy "
            f"×{w1.write_pj / w0.write_pj:.0f}. Hence a(write) > a(read), both above 1.",
        ]
    )


def _x(first, last, column: str) -> str:
    return f"{getattr(last, column) / getattr(first, column):g}"


def _bitlines(first, last, read: bool) -> float:
    """Growth of the bit-line capacitance an access switches: columns × rows per subarray (a
    read: every column of the row; a write: the word's columns)."""
    columns = "read_columns" if read else "word_columns"
    return (getattr(last, columns) * last.rows_per_subarray) / (
        getattr(first, columns) * first.rows_per_subarray
    )


def _classic_regfile(q2: Q2) -> str:
    ref, rf = q2.reference_fits, q2.regfile
    wide = rf[rf.sweep == "width_sweep"].sort_values("width")
    deep = rf[rf.sweep == "depth_sweep"].sort_values("depth")
    w0, w1, d0, d1 = wide.iloc[0], wide.iloc[-1], deep.iloc[0], deep.iloc[-1]
    per_bit = w0.registers_pj / w0.width
    comparator = w0.comparators_pj / w0.depth
    registers_fit = fit_power_law(wide.width, wide.registers_pj)
    d_log = fit_power_law(deep.depth, deep.depth * deep.comparator_bits)
    return (
        f"**Register file (Aladdin table): width a = {_a(ref, 'regfile', 'width_sweep', 'read'):.2f}, "
        f"depth b = {_a(ref, 'regfile', 'depth_sweep', 'read'):.2f} (read = write).** Classic "
        "Accelergy builds a register file as `width` one-bit registers plus `depth` address "
        "comparators of ⌈log2 depth⌉ bits: an access clocks one word's flip-flops and compares "
        "the address with every entry's tag. Split from the classic numbers (a register file of "
        f"depth 1 has no comparator):\n\n"
        f"- **Width:** the registers cost {per_bit:.3g} pJ per bit ({w0.registers_pj:.3g} → "
        f"{w1.registers_pj:.3g} pJ, exponent {registers_fit.exponent:.2f}), but the {int(w0.depth)} "
        f"comparators of {int(w0.comparator_bits)} bits cost {w0.comparators_pj:.4g} pJ "
        f"({comparator:.3g} pJ each) at every width: {w0.comparators_pj / w0.read_pj:.1%} of the "
        f"energy at {int(w0.width)} bits, still {w1.comparators_pj / w1.read_pj:.1%} at "
        f"{int(w1.width)}. The curve is nearly flat.\n"
        f"- **Depth:** the comparators grow as depth × ⌈log2 depth⌉ ({int(d0.comparator_bits)} → "
        f"{int(d1.comparator_bits)} bits; that product alone has exponent {d_log.exponent:.2f}), "
        f"so b is a little above 1; the registers stay at {d0.registers_pj:.3g} pJ."
    )


def _classic_dram_and_mac(q2: Q2) -> str:
    ref, mac = q2.reference_fits, q2.mac.sort_values("width")
    m0, m1 = mac.iloc[0], mac.iloc[-1]
    multiplier = fit_power_law(mac.width, mac.multiplier_pj)
    adder = fit_power_law(mac.width, mac.adder_pj)
    share = mac.multiplier_pj / (mac.adder_pj + mac.multiplier_pj)
    dram = q2.classic[q2.classic.component == "DRAM"].sort_values("width")
    per_bit = dram.read_pj / dram.width
    return (
        f"**DRAM (LPDDR4 table): a = {_a(ref, 'DRAM', 'width_sweep', 'read'):.2f}.** "
        + (
            f"{per_bit.min():g}"
            if per_bit.min() == per_bit.max()
            else f"{per_bit.min():g}–{per_bit.max():g}"
        )
        + " pJ per bit moved, read or write: the I/O and "
        "array energy of an off-chip access is per bit, and depth is no parameter.\n\n"
        f"**Integer MAC (Aladdin table): a = {_a(ref, 'intmac', 'width_sweep', 'compute'):.2f}.** "
        "Classic's MAC is a w-bit adder (scaled linearly from the 32-bit table row) plus a w×w "
        "array multiplier — a grid of w² partial-product cells, scaled quadratically: fitted "
        f"exponents {adder.exponent:.2f} (adder) and {multiplier.exponent:.2f} (multiplier). The "
        f"multiplier is {share.iloc[0]:.0%} of the energy at {int(m0.width)} bits and "
        f"{share.iloc[-1]:.1%} at {int(m1.width)}, so the MAC is almost quadratic throughout."
    )


def _disagreement_extras(q2: Q2) -> str:
    s = q2.study
    ours, ref = s.fits, q2.reference_fits
    return (
        "In exponents: the register file's width exponent is "
        f"{_a(ours, 'regfile', 'width_sweep', 'read'):.2f} in the models against "
        f"{_a(ref, 'regfile', 'width_sweep', 'read'):.2f} in classic — the models read a word "
        "through a multiplexer tree per bit (∝ width × depth), classic pays per entry for an "
        "address comparator and almost nothing per bit; SRAM width "
        f"{_a(ours, 'SRAM', 'width_sweep', 'read'):.2f} / {_a(ref, 'SRAM', 'width_sweep', 'read'):.2f} "
        f"and depth {_a(ours, 'SRAM', 'depth_sweep', 'read'):.2f} / "
        f"{_a(ref, 'SRAM', 'depth_sweep', 'read'):.2f} (models / classic, reads) agree because both "
        "run CACTI 7; the MAC's "
        f"{_a(ours, 'intmac', 'width_sweep', 'compute'):.2f} / "
        f"{_a(ref, 'intmac', 'width_sweep', 'compute'):.2f} differ because the models' accumulator "
        "is 2w bits wide (a linear term that shows at small widths) where classic's adder is w bits."
    )
