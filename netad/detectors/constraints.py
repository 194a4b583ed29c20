"""Parameter checks declared once, in scikit-learn's ``_parameter_constraints`` style.

A detector lists what each model parameter accepts (``Interval``, ``None``, ... from
``sklearn.utils._param_validation``, plus :class:`OneOf` for names, in any letter case where the model lower-cases
them, and :class:`Sizes` for layer widths); :func:`check_parameters` validates them all before anything is built,
with scikit-learn's message naming the parameter and the detector. Rules that tie several parameters together
(``d_model`` divisible by ``n_heads``) stay in the detector's ``_check_params``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

from netad.errors import NetadInputError

__all__ = [
    "borrowed",
    "Integral",
    "Interval",
    "InvalidParameter",
    "Real",
    "Sizes",
    "OneOf",
    "any_case",
    "at_least",
    "check_parameters",
    "non_negative",
    "positive",
]


class InvalidParameter(NetadInputError, InvalidParameterError):
    """A parameter value a detector does not accept: netad's input error and scikit-learn's (ValueError/TypeError)."""


class OneOf(StrOptions):
    """One of the names ``options`` (listed in this order in the error message); ``any_case=True`` accepts any
    letter case, for the names a model lower-cases before reading them (``activation="ReLU"``)."""

    def __init__(self, options: Iterable[str], *, any_case: bool = False) -> None:
        self.names = tuple(options)
        self.any_case = any_case
        super().__init__(set(self.names))

    def is_satisfied_by(self, val: Any) -> bool:
        return isinstance(val, str) and (val.lower() if self.any_case else val) in self.options

    def __str__(self) -> str:
        return f"one of {', '.join(map(repr, self.names))}{' (any case)' if self.any_case else ''}"


def any_case(options: Iterable[str]) -> OneOf:
    """One of ``options`` in any letter case."""
    return OneOf(options, any_case=True)


class Sizes(Options):
    """Layer widths: a sequence of positive ints, or one int for a single layer (as ``netad.nn.check_sizes``; a
    string is refused)."""

    def __init__(self) -> None:
        super().__init__(type=object, options=set())

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, str | bytes):
            return False  # "64" would read as layers of 6 and 4
        if isinstance(val, Integral):
            val = (val,)
        try:
            return all(int(size) >= 1 for size in val)
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return "a sequence of positive ints"


def at_least(low: float, kind: type = Integral) -> Interval:
    """``[low, inf)`` of ``kind`` (Integral or Real)."""
    return Interval(kind, low, None, closed="left")


def positive() -> Interval:
    """A real number > 0."""
    return Interval(Real, 0, None, closed="neither")


def non_negative() -> Interval:
    """A real number >= 0."""
    return Interval(Real, 0, None, closed="left")


def check_parameters(estimator: Any, constraints: Mapping[str, list[Any]]) -> None:
    """Validate ``estimator``'s parameters named in ``constraints``; raise :class:`InvalidParameter` naming the first
    one that fits none of its constraints."""
    params = {name: getattr(estimator, name) for name in constraints}
    try:
        validate_parameter_constraints(dict(constraints), params, caller_name=type(estimator).__name__)
    except InvalidParameterError as exc:
        raise InvalidParameter(str(exc)) from None


def borrowed(estimator: type, *names: str) -> dict[str, list[Any]]:
    """The scikit-learn estimator's declared constraints for the parameters a detector hands on to it unchanged."""
    declared = estimator._parameter_constraints  # noqa: SLF001 - scikit-learn's declared API
    return {name: declared[name] for name in names}
