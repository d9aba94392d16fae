"""Q1: Table 2 for the course's five mappings from both engines, Table 1's energies, the per-level
energy plot, and why the mappings differ — all from `hwsim.report.table2.build_table2` (what
``hwsim table2`` prints) and the reuse of each tensor under each loop nest (`course.reuse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course.markdown import demote_headings, table
from course.reuse import NestReuse, TensorReuse, course_nests, describe_nest, nest_reuse
from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import EnergyTable
from hwsim.report.table2 import Table2, build_table2
from hwsim.result import Evaluation

ENERGY = "table1"


@dataclass(frozen=True)
class Q1:
    """Everything the Q1 section shows.

    Attributes:
        table2: Table 2 under Timeloop master's rules (as ``hwsim table2`` builds it).
        table2_v30: the same under Timeloop v3.0's rules.
        reuse: mapping name → reuse of its tensors.
        energy_table: the assignment's Table 1 (pJ per action).
        figure: the per-level energy plot (``table2.png``).
    """

    table2: Table2
    table2_v30: Table2
    reuse: dict[str, NestReuse]
    energy_table: EnergyTable
    figure: Path


def build_q1(out_dir: Path, spec_dir: str | Path | None = None) -> Q1:
    """Evaluate the mappings with both engines and both Timeloop versions; write table2.png."""
    table2 = build_table2(spec_dir, energy=ENERGY)
    v30 = build_table2(spec_dir, energy=ENERGY, timeloop_version="v3.0")
    reuse = {name: nest_reuse(name, nest) for name, nest in course_nests(spec_dir).items()}
    architecture = next(iter(reuse.values())).nest.architecture
    energy_table = load_energy_table(ENERGY, architecture=architecture)
    figure = table2.plot(out_dir / "table2.png")
    return Q1(table2, v30, reuse, energy_table, figure)


def q1_markdown(q1: Q1, figure: str) -> str:
    """The Q1 section; `figure` is the plot's path relative to the report."""
    return "\n\n".join(
        [
            "## Q1: memory accesses and energy of five mappings",
            _energies(q1),
            demote_headings(q1.table2.to_markdown(), 2),
            f"![energy per storage level, both engines]({figure})",
            "### Reuse of each tensor under each loop nest",
            _reuse_table(q1),
            "### Best and worst mapping, and why",
            _best_and_worst(q1),
            "### Where the trace and Timeloop's rules disagree",
            _engines(q1),
            "### Timeloop master against v3.0",
            _versions(q1),
        ]
    )


# --------------------------------------------------------------------------- Table 1
def _energies(q1: Q1) -> str:
    architecture = next(iter(q1.reuse.values())).nest.architecture
    rows = []
    for component in architecture.components:
        entry = q1.energy_table.entries.get(component.class_name)
        if entry is None:
            continue
        actions = ", ".join(f"{a} {pj:g} pJ" for a, pj in entry.actions.items())
        rows.append([f"`{component.name}`", component.class_name, actions])
    return (
        "Energies per access from the assignment's Table 1 (`--energy table1`), by the class of "
        "each component of the Q1 architecture:\n\n"
        + table(["component", "class", "energy per action"], rows)
    )


# --------------------------------------------------------------------------- reuse
def _reuse_table(q1: Q1) -> str:
    rows = []
    for name, reuse in q1.reuse.items():
        counts = q1.table2.analytical[name].counts
        outer = reuse.nest.level_names[-1]
        for tensor in reuse.tensors.values():
            loops = "; ".join(
                f"{loop} at {loop.level} #{loop.position}: d = {loop.distance_macs:,}, "
                f"f = {loop.footprint:,} → {'kept' if loop.kept else 'refetched'}"
                for loop in tensor.irrelevant
            )
            reads = counts.levels[outer][tensor.tensor].reads
            rows.append(
                [
                    name,
                    f"`{describe_nest(reuse.nest)}`",
                    tensor.tensor,
                    loops or "none",
                    f"{tensor.tile:,}",
                    f"{reads:,} ({reads / tensor.size:.3g}×)" if reads else "–",
                ]
            )
    inner = next(iter(q1.reuse.values())).inner_level
    outer = next(iter(q1.reuse.values())).nest.level_names[-1]
    return (
        "An element is used again when a loop that does not index its tensor advances. For each "
        "such *irrelevant* loop: its position counted from the innermost loop (#1), the reuse "
        "distance d (MACs between two uses of the same element) and the footprint f (distinct "
        f"elements of the tensor touched meanwhile). When the footprint fits in the tile the "
        f"{inner} holds for that tensor, the reuse is served by the {inner} (*kept*); otherwise "
        f"the {outer} sends the elements again (*refetched*). Nests are written outermost loop "
        f"first; the last column is {outer} reads under Timeloop's rules (times each element).\n\n"
        + table(
            [
                "mapping",
                "loop nest",
                "tensor",
                "irrelevant loops",
                f"{inner} tile",
                f"{outer} reads",
            ],
            rows,
            numeric="45",
        )
    )


def _energy_by_part(result: Evaluation) -> dict[tuple[str, str], float]:
    return {
        (level, tensor): pj
        for level, spaces in result.energy_pj.items()
        for tensor, pj in spaces.items()
    }


def _why(tensor: TensorReuse, reads: int) -> str:
    """Why `tensor` costs what it does at the outer level, from its lost reuse."""
    if not tensor.lost:
        return (
            f"every irrelevant loop of the {tensor.tensor} ("
            + (", ".join(str(loop) for loop in tensor.irrelevant) or "none")
            + f") is served by the {tensor.tile}-element tile, so each element leaves the outer "
            f"memory {_times(reads / tensor.size)} ({reads:,} reads for {tensor.size:,})"
        )
    loop = tensor.lost[0]
    return (
        f"its innermost refetched loop is {loop} at {loop.level} (#{loop.position} from the inside): "
        f"between two uses of an element lie {loop.distance_macs:,} MACs touching "
        f"{loop.footprint:,} elements, more than the {tensor.tile}-element tile, so each element "
        f"is read {_times(reads / tensor.size)} ({reads:,} reads for {tensor.size:,})"
    )


def _times(n: float) -> str:
    return "once" if n == 1 else f"{n:.3g} times"


def _best_and_worst(q1: Q1) -> str:
    t2 = q1.table2
    totals = {name: t2.analytical[name].total_energy_pj for name in t2.mappings}
    ranked = sorted(totals, key=totals.__getitem__)
    best, worst = ranked[0], ranked[-1]
    b, w = t2.analytical[best], t2.analytical[worst]
    gap = totals[worst] - totals[best]
    parts_b, parts_w = _energy_by_part(b), _energy_by_part(w)
    diffs = {key: parts_w[key] - parts_b.get(key, 0.0) for key in parts_w}
    (level, tensor), top = max(diffs.items(), key=lambda kv: kv[1])
    levels = {lv: w.level_energy_pj(lv) - b.level_energy_pj(lv) for lv in t2.levels}
    top_level = max(levels, key=levels.__getitem__)
    outer = t2.levels[0]
    reads_b = b.counts.levels[outer][tensor].reads
    reads_w = w.counts.levels[outer][tensor].reads
    order = " < ".join(f"{n} ({totals[n]:,.2f} pJ)" for n in ranked)
    lines = [
        f"Ranked by total energy under Timeloop's rules: {order}.",
        "",
        f"- **Dataflow:** {_stationary(q1)}.",
        f"- **Best: {best}**, {totals[best]:,.2f} pJ; **worst: {worst}**, {totals[worst]:,.2f} pJ "
        f"({totals[worst] / totals[best]:.2f}× the best). Every mapping does the same "
        f"{b.computes:,} MACs ({b.compute_energy_pj:,.2f} pJ), so the whole gap of {gap:,.2f} pJ "
        "is data movement.",
        f"- **Level:** {top_level} accounts for {levels[top_level]:,.2f} pJ of the gap "
        + "("
        + ", ".join(f"{lv} {v:+,.2f} pJ" for lv, v in levels.items())
        + ").",
        f"- **Tensor:** the {tensor} at {level} make the largest single difference, "
        f"{top:+,.2f} pJ ({top / gap * 100:.0f} % of the gap): {reads_w:,} {outer} reads under "
        f"{worst} against {reads_b:,} under {best}.",
        f"- **Why, {worst}:** {_why(q1.reuse[worst].tensors[tensor], reads_w)}.",
        f"- **Why, {best}:** {_why(q1.reuse[best].tensors[tensor], reads_b)}.",
    ]
    refetch = [
        f"{name}: {', '.join(f'{t.tensor} across {t.lost[0]}' for t in r.tensors.values() if t.lost)}"
        for name, r in q1.reuse.items()
        if any(t.lost for t in r.tensors.values())
    ]
    lines.append(
        "- **What each mapping refetches** from "
        f"{outer} (the first refetched loop per tensor): " + "; ".join(refetch) + ". The best "
        "mapping is the one whose refetched tensors are the smallest times the fewest outer "
        "iterations; a Buffer writes every element it receives, so each refetch also costs a "
        "Buffer fill."
    )
    return "\n".join(lines)


def _stationary(q1: Q1) -> str:
    """Which tensor each mapping keeps stationary: the one whose irrelevant loop is the
    innermost loop of the nest (it stays put in the innermost level while that loop runs)."""
    held: dict[str, list[str]] = {}
    for name, reuse in q1.reuse.items():
        for tensor in reuse.tensors.values():
            first = tensor.irrelevant[0] if tensor.irrelevant else None
            if first is not None and first.position == 1:
                held.setdefault(f"{tensor.tensor} stationary (loop #1 is {first})", []).append(name)
    return "; ".join(f"{', '.join(names)}: {what}" for what, names in held.items())


# --------------------------------------------------------------------------- engines
def _engines(q1: Q1) -> str:
    t2 = q1.table2
    blocks = []
    for name in t2.mappings:
        diffs = t2.differences(name)
        if not diffs:
            continue
        reuse = q1.reuse[name]
        outer = reuse.nest.level_names[-1]
        a, t = t2.analytical[name], t2.trace[name]
        tensors = [
            ds
            for ds in reuse.tensors
            if a.counts.levels[outer][ds].reads != t.counts.levels[outer][ds].reads
        ]
        why = []
        for ds in tensors:
            tensor = reuse.tensors[ds]
            loop = tensor.lost[0] if tensor.lost else None
            ra, rt = a.counts.levels[outer][ds].reads, t.counts.levels[outer][ds].reads
            if loop is None:
                continue
            iterations = loop.bound - 1
            why.append(
                f"the {reuse.inner_level} holds {tensor.tile} {ds} elements; across {loop} the "
                f"nest touches {loop.footprint}, so at each of its {iterations} advances the inner "
                "loops wrap around and the tile jumps back. Timeloop's rules re-fetch the tile "
                f"whole ({ra:,} {outer} reads); the trace's buffer still holds part of it and "
                f"fetches only what is missing ({rt:,} reads, {ra - rt:,} fewer)"
            )
        energy = a.total_energy_pj - t.total_energy_pj
        blocks.append(
            f"- **{name}** ({energy:+,.2f} pJ under Timeloop's rules): "
            + "; ".join(diffs)
            + (". Why: " + "; ".join(why) + "." if why else ".")
        )
    agree = [n for n in t2.mappings if not t2.differences(n)]
    if agree:
        blocks.append(
            f"- {', '.join(agree)}: both engines agree on every count — no refetched tile has to "
            "jump back while part of it is still held."
        )
    return "\n".join(blocks)


# --------------------------------------------------------------------------- versions
def _versions(q1: Q1) -> str:
    master, v30 = q1.table2, q1.table2_v30
    lines = []
    for name in master.mappings:
        found: dict[str, list[str]] = {}
        for level in master.levels:
            for ds, cm in master.analytical[name].counts.levels[level].items():
                cv = v30.analytical[name].counts.levels[level][ds]
                for field in ("reads", "fills", "updates"):
                    vm, vv = getattr(cm, field), getattr(cv, field)
                    if vm != vv:
                        found.setdefault(ds, []).append(
                            f"{level} {field} master {vm:,}, v3.0 {vv:,}"
                        )
        lines += [
            f"- **{name}**, {ds}: " + "; ".join(diffs) + _version_reason(q1.reuse[name], ds)
            for ds, diffs in found.items()
        ]
    totals = "; ".join(
        f"{n} {master.analytical[n].total_energy_pj:,.2f} / {v30.analytical[n].total_energy_pj:,.2f} pJ"
        for n in master.mappings
    )
    if not lines:
        return f"The two versions agree on every count (master / v3.0: {totals})."
    return (
        "The analytical engine follows either version's rules (`--timeloop-version`); they "
        "differ where a tile is first stationary and then slides:\n\n"
        + "\n".join(lines)
        + f"\n\nTotals, master / v3.0: {totals}."
    )


def _version_reason(reuse: NestReuse, tensor: str) -> str:
    """Name the stationary loop and the sliding loop above the inner level, when there are."""
    nest, indexed = reuse.nest, reuse.tensors[tensor].indexed_by
    above = [loop for loop in nest.loops[nest.prefix[0] :] if not loop.spatial]
    still = next((lp for lp in above if lp.dimension not in indexed), None)
    slide = (
        next(
            (
                lp
                for lp in above
                if lp.dimension in indexed and above.index(lp) > above.index(still)
            ),
            None,
        )
        if still is not None
        else None
    )
    if still is None or slide is None:
        return "."
    return (
        f". Above the {reuse.inner_level}, {still.dimension.lower()}{still.bound} does not index "
        f"the {tensor}: its step leaves the tile where it is (a zero move); then "
        f"{slide.dimension.lower()}{slide.bound} slides it. v3.0 remembers that zero move as the "
        "tile's stride, so the slide counts as a change of direction and the whole tile is "
        "fetched again; master ignores zero moves and keeps the overlap."
    )
