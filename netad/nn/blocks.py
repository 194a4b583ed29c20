"""Reusable layers for tabular deep detectors: activations by name and MLP stacks."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from netad.errors import NetadInputError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
}


def activation(name: str, negative_slope: float | None = None) -> nn.Module:
    """A fresh activation module by name (``relu``, ``tanh``, ``elu``, ``selu``, ``leaky_relu``, ...).

    ``negative_slope`` sets a leaky ReLU's slope (None = 0.1, as in the Keras seed; torch's default 0.01 is nearly
    ReLU); other activations ignore it."""
    key = str(name).strip().lower().replace("-", "_")
    if key == "leaky_relu":
        return nn.LeakyReLU(0.1 if negative_slope is None else float(negative_slope))
    if key not in ACTIVATIONS:
        raise NetadInputError(f"unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]()


def check_sizes(sizes: Sequence[int], what: str = "hidden") -> tuple[int, ...]:
    """Validate a tuple of layer widths (each a positive int); an int is taken as a single layer."""
    if isinstance(sizes, int):
        sizes = (sizes,)
    try:
        out = tuple(int(s) for s in sizes)
    except (TypeError, ValueError):
        raise NetadInputError(f"{what} must be a sequence of positive ints, got {sizes!r}") from None
    if any(s < 1 for s in out):
        raise NetadInputError(f"{what} must be a sequence of positive ints, got {sizes!r}")
    return out


def mlp(
    sizes: Sequence[int],
    activation_name: str = "relu",
    *,
    dropout: float = 0.0,
    batchnorm: bool = False,
    last_activation: bool = False,
    bias: bool = True,
    negative_slope: float | None = None,
) -> nn.Sequential:
    """A stack of ``Linear -> [BatchNorm1d] -> activation -> [Dropout]`` from ``sizes[0]`` to ``sizes[-1]``.

    The last layer is plain linear, or ``Linear -> activation`` with ``last_activation`` (a bounded code layer,
    as in the Keras seed; no norm or dropout there). With SELU, dropout is ``AlphaDropout`` so the
    self-normalising property holds. A single size gives an empty (identity) stack. ``bias`` is the linear
    layers' bias; ``negative_slope`` a leaky ReLU's slope (:func:`activation`).
    """
    sizes = check_sizes(sizes, "layer sizes")
    if len(sizes) < 1:
        raise NetadInputError("an MLP needs at least an input size")
    if not 0.0 <= float(dropout) < 1.0:
        raise NetadInputError(f"dropout must lie in [0, 1), got {dropout!r}")
    selu = str(activation_name).strip().lower() == "selu"
    layers: list[nn.Module] = []
    n_layers = len(sizes) - 1
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out, bias=bias))
        if i == n_layers - 1:
            if last_activation:
                layers.append(activation(activation_name, negative_slope))
            break
        if batchnorm:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(activation(activation_name, negative_slope))
        if dropout > 0:
            layers.append(nn.AlphaDropout(dropout) if selu else nn.Dropout(dropout))
    return nn.Sequential(*layers)
