"""Subcommands of the ``hwsim`` CLI: one module each, with ``register(subparsers)``.

A module's ``register`` adds its subparser and sets ``handler`` (a function taking the parsed
arguments and returning an exit status) with ``parser.set_defaults(handler=...)``.
"""

#: Module names under ``hwsim.commands``, in the order ``hwsim --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "model",
    "table2",
    "mapper",
    "network_energy",
    "export_layers",
    "ert",
    "sweep_components",
)
