"""Errors a user can act on: bad params, a bundle that breaks the data contract.

They print as one or two plain lines: on the command line (no traceback unless --debug) and in a
notebook, where IPython calls `_render_traceback_` instead of showing the stack.
"""


class AuditError(Exception):
    """An error in the user's input, worded for the user."""

    kind = "error"

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]
