"""Errors that speak to the user: each names the file, column and problem."""


class NetadError(Exception):
    """Base class for errors netad raises on purpose."""


class NetadInputError(NetadError, ValueError):
    """Bad user input: a missing or malformed file, column, label value or option.

    The CLI turns these into a one-line message and a non-zero exit instead of a traceback.
    """
