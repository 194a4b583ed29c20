"""How train, validation and test are cut from a Dataset: the evaluation protocols of the field, seeded.

Every protocol returns a :class:`Split` whose parts never share a row, and says what a detector may fit on
(:meth:`Split.fit_data`, chosen by the detector's ``supervision``): test labels never reach fitting.

The package: ``split`` (Part, Split), ``sampling`` (row-position helpers and the builders' ``Cut``), one module
per protocol (``novelty``, ``weak`` with its label budget, ``kdd``, ``dagmm``, ``zero_shot``) and ``registry``
(names, options, presets, ``make_split``).

>>> split = make_split(dataset, "zero-shot", seed=0, unseen=["Bot"])      # doctest: +SKIP
>>> X_fit, y_fit = split.fit_data("unsupervised")                          # doctest: +SKIP
"""

from netad.protocols.registry import available, default_options, make_split, presets
from netad.protocols.split import Part, Split

__all__ = ["Part", "Split", "available", "default_options", "make_split", "presets"]
