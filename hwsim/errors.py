"""Errors raised for user mistakes.

Every problem with user input (a malformed YAML, a mapping whose factors do not multiply to the
problem size, a tile that does not fit, ...) is reported as one `SpecError` that names the file
and the field path. The CLI prints it on one line and exits with status 2, without a traceback.
"""

from __future__ import annotations


class SpecWarning(UserWarning):
    """Something in the user's input hwsim reads but does not use, or reads by a rule that may
    surprise (a component whose class is neither storage nor compute is left out, as Timeloop
    does). The CLI prints each on one line, ``hwsim: warning: ...``; the message names the file."""


class SpecError(ValueError):
    """A user-facing input error: names the file, the field path and what is wrong.

    Attributes:
        file: the file the offending value came from (or ``None`` for in-memory specs).
        field: a dotted/bracketed path to the offending field, e.g. ``mapping[1].factors``.
        message: what is wrong, in words.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.field:
            where.append(self.field)
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def at(self, *, file: str | None = None, field_prefix: str | None = None) -> SpecError:
        """Return a copy located in `file` (if not already) with `field_prefix` prepended."""
        field = self.field
        if field_prefix:
            field = (
                f"{field_prefix}.{field}"
                if field and not field.startswith("[")
                else (f"{field_prefix}{field or ''}")
            )
        return SpecError(self.message, file=self.file or file, field=field)
