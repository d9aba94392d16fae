"""The simulator's structure, as the assignment asks: every public class of hwsim with its purpose,
methods and attributes, read from the code itself with `inspect` (so it cannot go stale), and
the API documentation generated next to the report with pdoc (what ``make docs`` writes).

A class is public when its name and its module's path have no leading underscore and it is
defined (not imported) in that module. Its purpose is the first paragraph of its own docstring;
its attributes are its dataclass or pydantic fields, with the descriptions of the docstring's
``Attributes:`` section, and its properties; its methods are the public functions it defines.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

SKIPPED_MODULES = ("__main__",)  # running it starts the command line


@dataclass(frozen=True)
class Member:
    """One attribute or method: its name, its signature or type (may be empty), one line of doc."""

    name: str
    signature: str
    doc: str


@dataclass(frozen=True)
class ClassInfo:
    """One public class.

    Attributes:
        module: the module that defines it.
        name: its name.
        purpose: the first paragraph of its docstring ('' when it has none).
        attributes: fields and properties.
        methods: public methods it defines (inherited ones are documented on their class).
        bases: its base classes' names.
        constructor: the signature of the ``__init__`` it defines ('' when it defines none).
    """

    module: str
    name: str
    purpose: str
    attributes: tuple[Member, ...]
    methods: tuple[Member, ...]
    bases: tuple[str, ...]
    constructor: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


def public_modules(package: str = "hwsim") -> list[ModuleType]:
    """Every importable public module of `package`, in name order."""
    root = importlib.import_module(package)
    names = [package] + [
        info.name
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
    ]
    modules = []
    for name in sorted(names):
        if name.rsplit(".", 1)[-1] in SKIPPED_MODULES:
            continue
        try:
            modules.append(importlib.import_module(name))
        except ImportError:  # an optional dependency (e.g. accelforge) is not installed
            continue
    return modules


def public_classes(package: str = "hwsim") -> list[ClassInfo]:
    """`ClassInfo` of every public class of `package` (see module docstring)."""
    out = []
    for module in public_modules(package):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and cls.__module__ == module.__name__ and name[0] != "_":
                out.append(describe_class(cls))
    return out


def describe_class(cls: type) -> ClassInfo:
    doc = _own_doc(cls)
    described = _attribute_docs(doc)
    fields = [(n, t) for n, t in _fields(cls) if not n.startswith("_")]
    init = cls.__dict__.get("__init__")
    hints = getattr(init, "__annotations__", {}) if inspect.isfunction(init) else {}
    fields += [(n, _type_name(hints.get(n, ""))) for n in described if n not in dict(fields)]
    attributes = [Member(name, annotation, described.get(name, "")) for name, annotation in fields]
    methods = []
    for name, value in vars(cls).items():
        if name.startswith("_") and name != "__call__":
            continue
        if isinstance(value, property | cached_property):
            getter = value.fget if isinstance(value, property) else value.func
            attributes.append(Member(name, "property", _first_line(inspect.getdoc(getter))))
            continue
        function = value.__func__ if isinstance(value, staticmethod | classmethod) else value
        if inspect.isfunction(function):
            methods.append(
                Member(name, _signature(function), _first_line(inspect.getdoc(function)))
            )
    bases = tuple(b.__name__ for b in cls.__bases__ if b is not object)
    purpose = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    constructor = _signature(init) if inspect.isfunction(init) else ""
    return ClassInfo(
        cls.__module__,
        cls.__name__,
        purpose,
        tuple(attributes),
        tuple(methods),
        bases,
        constructor,
    )


def api_link(info: ClassInfo, api_dir: str = "api") -> str:
    """The pdoc page anchor of a class (pdoc writes one page per module, anchors by name)."""
    return f"{api_dir}/{info.module.replace('.', '/')}.html#{info.name}"


def write_api_docs(out_dir: Path, package: str = "hwsim") -> Path:
    """pdoc's HTML documentation of `package` into `out_dir`; returns its index page."""
    import pdoc

    pdoc.pdoc(package, output_directory=out_dir)
    return out_dir / "index.html"


def structure_markdown(classes: list[ClassInfo], api_dir: str | None) -> str:
    """The structure section: per module, each class's purpose, attributes and methods."""
    modules = list(dict.fromkeys(c.module for c in classes))
    undocumented = [c.qualified_name for c in classes if not c.purpose]
    lines = [
        "## The simulator's structure",
        "",
        f"{len(classes)} public classes in {len(modules)} modules of hwsim, read from the code "
        "with `inspect` when this report was made: each class's purpose is its docstring, its "
        "attributes are its fields (described by the docstring's *Attributes* section) and "
        "properties, its methods the public functions it defines."
        + (
            f" The full API documentation (pdoc) is in [{api_dir}/index.html]({api_dir}/index.html);"
            " each class name below links to its page."
            if api_dir
            else ""
        )
        + (f" Classes without a docstring: {', '.join(undocumented)}." if undocumented else ""),
        "",
    ]
    for module in modules:
        lines += [f"#### `{module}`", ""]
        for info in (c for c in classes if c.module == module):
            name = f"[`{info.name}`]({api_link(info, api_dir)})" if api_dir else f"`{info.name}`"
            based = f" ({', '.join(info.bases)})" if info.bases else ""
            lines.append(
                f"- **{name}**{f'`{info.constructor}`' if info.constructor else ''}{based} — "
                f"{info.purpose or '(no docstring)'}"
            )
            if info.attributes:
                lines.append("  - *Attributes:* " + "; ".join(_member(m) for m in info.attributes))
            if info.methods:
                lines.append("  - *Methods:* " + "; ".join(_member(m) for m in info.methods))
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- internals
def _member(member: Member) -> str:
    sig = (
        f"`{member.name}{member.signature}`"
        if member.signature.startswith("(")
        else (f"`{member.name}`" + (f" ({member.signature})" if member.signature else ""))
    )
    return sig + (f" — {member.doc.rstrip('.')}" if member.doc else "")


def _own_doc(cls: type) -> str:
    """The class's own docstring; dataclasses' generated ``Name(field, ...)`` does not count."""
    doc = cls.__dict__.get("__doc__") or ""
    if doc.startswith(f"{cls.__name__}("):
        return ""
    return inspect.cleandoc(doc)


def _fields(cls: type) -> list[tuple[str, str]]:
    if dataclasses.is_dataclass(cls):
        return [(f.name, _type_name(f.type)) for f in dataclasses.fields(cls)]
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict):
        return [(n, _type_name(f.annotation)) for n, f in model_fields.items()]
    own = inspect.get_annotations(cls)
    return [(n, _type_name(t)) for n, t in own.items() if not n.isupper()]


def _attribute_docs(doc: str) -> dict[str, str]:
    """``name: description`` entries of a Google-style ``Attributes:`` section (``a, b: x``
    documents both)."""
    match = re.search(r"^Attributes:\s*\n((?:[ \t]+.*\n?|\s*\n)+)", doc, flags=re.M)
    if not match:
        return {}
    out: dict[str, str] = {}
    current: list[str] = []
    for line in match[1].splitlines():
        entry = re.match(r"^\s{2,8}([\w, ]+):\s*(.*)$", line)
        if entry and not line.startswith(" " * 9):
            current = [n.strip() for n in entry[1].split(",") if n.strip()]
            for name in current:
                out[name] = entry[2].strip()
        elif current and line.strip():
            for name in current:
                out[name] = f"{out[name]} {line.strip()}".strip()
    return out


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def _signature(function) -> str:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return "(...)"
    parameters = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return "(" + ", ".join(_parameter(p) for p in parameters) + ")"


def _parameter(p: inspect.Parameter) -> str:
    prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
    default = "" if p.default is p.empty else "=…"
    return f"{prefix}{p.name}{default}"


def _type_name(annotation) -> str:
    if isinstance(annotation, str):
        return annotation
    if annotation is inspect.Parameter.empty:
        return ""
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
