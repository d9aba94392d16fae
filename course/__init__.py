"""The assignment's report, answered from one command (``make report``, ``python -m course``).

One module per question — `q1` (Table 2, energies and why), `structure` (the simulator's
classes from its docstrings, and the API documentation), `q2` (component energy sweeps from
classic Accelergy and the hwcomponents models), `q3` (the co-design study) — and `assemble`,
which writes report.md, report.html and the figures. Every number in the report is computed
from data by the same functions the individual commands use. hwsim never imports this package.
"""
