"""A REST scoring service for a saved model (FastAPI; ``pip install "netad[serve]"``).

``create_app(model_dir)`` loads the model once (:func:`netad.persist.load_model`: safetensors, JSON and
allow-listed skops only) and returns a FastAPI app with:

- ``POST /score``: a batch of flows as JSON (``{"records": [{column: value, ...}, ...], "top_features": k}`` or
  a bare array of records), a CSV or parquet file uploaded as ``multipart/form-data`` (field ``file``), or a
  raw ``text/csv`` / ``application/vnd.apache.parquet`` body (``?top_features=k``). Returns one ``score``
  (higher = more anomalous) and ``is_attack`` (score > the model's threshold) per row, in input order, and with
  ``top_features=k`` the k most unusual features of each row (the cheap attribution of
  :func:`netad.score.feature_attribution`, not SHAP);
- ``GET /model``: detector, threshold, input schema, metrics and provenance; ``GET /health``;
  ``GET /metrics`` (Prometheus text); OpenAPI docs at ``/docs``.

The package, by concern: :mod:`~netad.serve.parsing` (body -> records or table; 400/413/415),
:mod:`~netad.serve.validation` (-> the model's input arrays, linear time; 422 naming columns and rows),
:mod:`~netad.serve.batching` (concurrent small requests scored as one batch), :mod:`~netad.serve.scoring`
(preprocess + score + top features, without pandas), :mod:`~netad.serve.metrics`, :mod:`~netad.serve.alerts`
(one JSON line per flagged flow) and :mod:`~netad.serve.app` (routes, authentication).

Nothing is dropped silently: missing columns, text or ``true`` in numeric columns, and missing/NaN/Inf values
are 422 responses; columns the model does not use are ignored and listed; columns dropped at fit need not be
sent. Bodies over ``max_body_mb`` and batches over ``max_rows`` are 413; with ``api_key`` set, ``/score`` and
``/model`` need the header ``X-API-Key`` (401). Sequence models (LSTM windows) see only the rows of the same
request as context (their requests are never batched together).

>>> app = create_app("models/iforest", api_key="s3cret")  # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)  or: netad serve models/iforest
"""

try:
    import fastapi  # noqa: F401
    import orjson  # noqa: F401
except ImportError:  # pragma: no cover - exercised without the extra
    raise ImportError('netad serve needs the serve extra: pip install "netad[serve]"') from None

from netad.serve.app import DEFAULT_MAX_BODY_MB, ScoreRequest, ScoreResponse, create_app, model_info
from netad.serve.problems import RequestProblem
from netad.serve.scoring import DEFAULT_MAX_ROWS, MAX_TOP_FEATURES, ScoringService

__all__ = [
    "DEFAULT_MAX_BODY_MB",
    "DEFAULT_MAX_ROWS",
    "MAX_TOP_FEATURES",
    "RequestProblem",
    "ScoreRequest",
    "ScoreResponse",
    "ScoringService",
    "create_app",
    "model_info",
]
