"""Batch scoring: run a saved model over a flow file of any size, chunk by chunk, into a file or standard output.

The input (CSV, compressed CSV or parquet, told apart by their first bytes; ``-`` for standard input) is read by
:class:`netad.inputs.FlowSource` in chunks of exactly ``chunk_rows`` rows, so memory is bounded by one chunk
whatever the file size. Each chunk is validated against the model's schema, preprocessed, scored and appended to
the output: parquet, CSV or JSON lines by the output's extension (or ``--format``), ``-`` for standard output.

Output columns: ``row`` (0-based data row of the input), ``score`` (higher = more anomalous), ``is_attack``
(1 when ``score > threshold_``), ``non_finite`` (1 on rows whose NaN/±Inf values the model's saved policy
cleaned), the flow identifiers the input had (``Flow ID``, addresses, ports, ``Timestamp``...) and the
``keep_columns`` asked for, and with ``top_features=k`` the columns ``top_feature_1..k`` / ``top_value_1..k``
(see :mod:`netad.score.attribution`). Modules: :mod:`~netad.score.run` (the loop), :mod:`~netad.score.chunks`
(one chunk), :mod:`~netad.score.outputs` (writers), :mod:`~netad.score.attribution`.

>>> report = score_file("models/iforest", "flows.csv.xz", "scores.parquet", top_features=3)  # doctest: +SKIP
"""

from netad.score.attribution import STD_FLOOR, attribution_method, feature_attribution
from netad.score.chunks import NON_FINITE_COLUMN, ON_BAD_ROWS
from netad.score.outputs import FORMATS
from netad.score.run import DEFAULT_CHUNK_ROWS, ScoreReport, read_scores, score_file

__all__ = [
    "DEFAULT_CHUNK_ROWS", "FORMATS", "NON_FINITE_COLUMN", "ON_BAD_ROWS", "STD_FLOOR", "ScoreReport",
    "attribution_method", "feature_attribution", "read_scores", "score_file",
]  # fmt: skip
