"""Markdown building blocks of the report: tables, headings moved under a section, HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]], numeric: str = "") -> str:
    """A pipe table; columns whose index is in `numeric` (e.g. ``"234"``) are right-aligned."""
    rule = ["---:" if str(i) in numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def demote_headings(text: str, levels: int) -> str:
    """Every ATX heading of `text` made `levels` deeper (``# T`` → ``### T`` for 2)."""
    return re.sub(r"^(#{1,6}) ", lambda m: "#" * min(6, len(m[1]) + levels) + " ", text, flags=re.M)


def prefix_images(text: str, folder: str) -> str:
    """Relative image links of `text` (``![x](a.png)``) pointed into `folder`."""
    return re.sub(r"!\[([^\]]*)\]\((?![a-z]+:|/)([^)]+)\)", rf"![\1]({folder}/\2)", text)


def to_html(markdown_text: str, title: str) -> str:
    """A standalone HTML page of `markdown_text` (tables, fenced code, heading anchors)."""
    import markdown2

    body = markdown2.markdown(
        markdown_text, extras=["tables", "fenced-code-blocks", "header-ids", "cuddled-lists"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }}
table {{ border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; }}
th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
code {{ background: #f5f5f5; padding: 0 0.2rem; }}
pre {{ background: #f5f5f5; padding: 0.6rem; overflow-x: auto; }}
</style></head>
<body>
{body}
</body></html>
"""
