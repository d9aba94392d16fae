"""User mistakes (a missing file, a bad config value) as one exception type.

`train.py` turns a `UserError` into one line on stderr and exit code 2, with no traceback; anything
else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A mistake the user can fix; the message names the file or config field at fault."""
