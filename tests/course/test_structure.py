"""The simulator's structure is read from the code: classes, purposes, attributes, methods."""

from course.structure import api_link, describe_class, public_classes, structure_markdown
from hwsim.report.table2 import Table2
from hwsim.trace.simulator import TraceSimulator


def test_the_class_list_holds_the_trace_simulator_with_its_methods():
    classes = {c.qualified_name: c for c in public_classes()}
    trace = classes["hwsim.trace.simulator.TraceSimulator"]
    assert {m.name for m in trace.methods} >= {"run_vectorized", "run_stepwise"}
    assert trace.purpose == TraceSimulator.__doc__.split("\n\n")[0].strip()
    assert {a.name for a in trace.attributes} >= {"nest", "hierarchy", "numbering"}
    assert "hwsim.nest.LoopNest" in classes and "hwsim.result.Evaluation" in classes
    assert not any(name.split(".")[-1].startswith("_") for name in classes)


def test_dataclass_fields_carry_their_docstring_descriptions():
    table2 = describe_class(Table2)
    described = {a.name: a.doc for a in table2.attributes}
    assert described["timeloop_version"] == "the Timeloop rules the analytical engine followed."
    assert described["analytical"] == described["trace"] == "mapping name → evaluation."
    assert "differences" in {m.name for m in table2.methods}


def test_markdown_links_each_class_to_its_api_page():
    classes = public_classes()
    text = structure_markdown(classes, "api")
    trace = next(c for c in classes if c.name == "TraceSimulator")
    assert api_link(trace) == "api/hwsim/trace/simulator.html#TraceSimulator"
    assert f"[`TraceSimulator`]({api_link(trace)})" in text
    assert f"{len(classes)} public classes" in text
