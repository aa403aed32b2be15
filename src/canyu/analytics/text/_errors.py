"""Errors of the text analytics (subclasses of :class:`canyu.errors.CanyuError`)."""

from __future__ import annotations

from canyu.errors import CanyuError

__all__ = ["TextInputError"]


class TextInputError(CanyuError):
    """Text input that cannot be analysed: a missing file or column, mismatched ids, bad options.

    Attributes
    ----------
    path, column:
        The file and column concerned, where there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        message_zh: str | None = None,
        path: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message, message_zh=message_zh)
        self.path = path
        self.column = column
