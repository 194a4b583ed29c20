"""A REST scoring service for a saved model (FastAPI; ``pip install "netad[serve]"``).

``create_app(model_dir)`` loads the model once (:func:`netad.persist.load_model`: safetensors, JSON and
allow-listed skops only) and returns a FastAPI app with:

- ``POST /score``: a batch of flows as JSON (``{"records": [{column: value, ...}, ...], "top_features": k}``),
  a CSV or parquet file uploaded as ``multipart/form-data`` (field ``file``), or a raw ``text/csv`` /
  ``application/vnd.apache.parquet`` body (``?top_features=k``). Returns one ``score`` (higher = more
  anomalous) and ``is_attack`` (score > the model's threshold) per row, in input order, and with
  ``top_features=k`` the k most unusual features of each row (the cheap attribution of
  :func:`netad.score.feature_attribution`, not SHAP);
- ``GET /model``: detector, threshold, input schema (required columns, dtypes, known categories), metrics and
  provenance saved with the model; ``GET /health``; OpenAPI docs at ``/docs``.

Validation: missing columns, text in numeric columns, and missing/NaN/Inf values are 422 responses naming the
columns and (up to 20) rows; nothing is dropped silently. Columns the model does not use are ignored and
listed; columns dropped at fit (constant in training) need not be sent. Bodies over ``max_body_mb`` and batches
over ``max_rows`` are 413; with ``api_key`` set, ``/score`` and ``/model`` need the header ``X-API-Key`` (401).
Requests are scored one at a time (a lock around the model); each batch is scored vectorised. Sequence models
(LSTM windows) see only the rows of the same request as context.

>>> app = create_app("models/iforest", api_key="s3cret")  # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)  or: netad serve models/iforest
"""

import io
import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd

try:
    from fastapi import Depends, FastAPI, Query, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse
    from fastapi.security import APIKeyHeader
    from pydantic import BaseModel, Field
except ImportError:  # pragma: no cover - exercised without the extra
    raise ImportError('netad serve needs the serve extra: pip install "netad[serve]"') from None

from netad.errors import NetadInputError
from netad.persist import MODEL_FILE, LoadedModel, load_model
from netad.score import attribution_method, feature_attribution

logger = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY_MB = 16.0
MAX_TOP_FEATURES = 20
SHOWN_ROWS = 20
"""At most this many offending row numbers are listed per column in a 422 response."""
NULL_TEXTS = ("", "nan", "NaN", "NAN", "null", "NULL", "None", "NA", "N/A", "n/a", "-nan", "-NaN")
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet", "application/parquet")


# -- request/response models (OpenAPI) ------------------------------------------------------------------
class ScoreRequest(BaseModel):
    """Flows to score: one object per row, keys are the model's input column names."""

    records: list[dict[str, Any]] = Field(
        ..., description="One object per flow: column name -> value (numbers for numeric columns)."
    )
    top_features: int = Field(0, ge=0, le=MAX_TOP_FEATURES, description="Most unusual features listed per row.")


class FeatureContribution(BaseModel):
    feature: str
    contribution: float


class ScoreResponse(BaseModel):
    model: str = Field(..., description="Registered detector name.")
    threshold: float = Field(..., description="Scores above it are flagged (is_attack).")
    n_rows: int
    n_flagged: int
    scores: list[float] = Field(..., description="Anomaly score per row, in input order (higher = more anomalous).")
    is_attack: list[bool]
    explanations: list[list[FeatureContribution]] | None = Field(
        None, description="With top_features=k: the k most unusual output features of each row."
    )
    attribution: str | None = Field(None, description="How explanations rank features (reconstruction, ...).")
    ignored_columns: list[str] = Field(default_factory=list, description="Input columns the model does not use.")
    unknown_categories: dict[str, int] = Field(
        default_factory=dict, description="Rows per categorical column with a category unseen in training."
    )
    seconds: float


class RequestProblem(Exception):
    """A request the service refuses: HTTP status and a FastAPI-style ``detail`` list."""

    def __init__(self, status: int, detail: list[dict[str, Any]] | str) -> None:
        super().__init__(str(detail))
        self.status, self.detail = status, detail


# -- scoring ------------------------------------------------------------------------------------------------
class ScoringService:
    """Validates a batch against the model schema and scores it (the HTTP-free part of the service)."""

    def __init__(self, model: LoadedModel, *, max_rows: int = DEFAULT_MAX_ROWS, n_threads: int | None = None) -> None:
        if model.preprocessor is None:
            raise NetadInputError(
                f"{model.path}: this model has no preprocessor (saved with save_detector); the service scores flow "
                "tables: save one with `netad train`"
            )
        if n_threads is not None and "n_threads" in model.detector.get_params():
            model.detector.set_params(n_threads=int(n_threads))
        self.model = model
        self.max_rows = int(max_rows)
        schema = model.schema
        used = set(schema.used_columns)
        self.numeric = [c for c in schema.numeric_columns if c in used]
        self.categorical = [c for c in schema.categorical_columns if c in used]
        self.unused = [c for c in schema.input_columns if c not in used]
        self.required = [*self.numeric, *self.categorical]
        self.feature_names = [str(f) for f in schema.output_features]
        self.attribution = attribution_method(model)
        self._lock = threading.Lock()

    def score_frame(self, frame: pd.DataFrame, top_features: int = 0) -> dict[str, Any]:
        """Score a table of flows; raises :class:`RequestProblem` (422/413) naming columns and rows."""
        started = time.perf_counter()
        top_features = int(top_features)
        if not 0 <= top_features <= min(MAX_TOP_FEATURES, len(self.feature_names)):
            raise RequestProblem(
                422,
                [
                    _problem(
                        ["query", "top_features"],
                        "value_error",
                        f"top_features must lie in [0, {min(MAX_TOP_FEATURES, len(self.feature_names))}]",
                    )
                ],
            )
        if len(frame) > self.max_rows:
            raise RequestProblem(
                413,
                f"{len(frame):,} rows in one request; this service accepts at most {self.max_rows:,} (split the batch)",
            )
        frame = _normalise_columns(frame)
        missing = [c for c in self.required if c not in frame.columns]
        if missing and len(frame):
            raise RequestProblem(
                422,
                [
                    _problem(
                        ["body", c],
                        "missing_column",
                        f"column {c!r} is required by the model and missing from the input",
                        column=c,
                    )
                    for c in missing
                ],
            )
        ignored = [c for c in frame.columns if c not in set(self.required) and c not in set(self.unused)]
        table, problems = self._typed(frame)
        if problems:
            raise RequestProblem(422, problems)
        n = len(table)
        if n:
            unknown = self.model.preprocessor.unknown_category_counts(table)
            X = self.model.preprocessor.transform(table)
            with self._lock:
                scores = np.asarray(self.model.detector.decision_function(X), dtype=np.float64)
                contribution = feature_attribution(self.model, X) if top_features else None
        else:
            unknown, scores, contribution = {}, np.empty(0), None
        threshold = float(self.model.detector.threshold_)
        flagged = scores > threshold
        result: dict[str, Any] = {
            "model": self.model.detector_name,
            "threshold": threshold,
            "n_rows": n,
            "n_flagged": int(flagged.sum()),
            "scores": [float(s) for s in scores],
            "is_attack": [bool(f) for f in flagged],
            "explanations": None,
            "attribution": self.attribution if top_features else None,
            "ignored_columns": ignored,
            "unknown_categories": unknown,
        }
        if contribution is not None:
            top = np.argsort(-contribution, axis=1, kind="stable")[:, :top_features]
            result["explanations"] = [
                [{"feature": self.feature_names[j], "contribution": float(contribution[i, j])} for j in row]
                for i, row in enumerate(top)
            ]
        result["seconds"] = time.perf_counter() - started
        return result

    def _typed(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The model's columns typed (numeric float32, categorical text), and the problems found."""
        n = len(frame)
        # columns already numeric (JSON numbers, parquet) are checked as one block; text columns one by one
        fast = [c for c in self.numeric if c in frame.columns and pd.api.types.is_numeric_dtype(frame[c].dtype)]
        block = frame[fast].to_numpy(dtype=np.float64, na_value=np.nan) if fast else np.empty((n, 0))
        found: dict[str, tuple[np.ndarray, np.ndarray, Any]] = {}
        with np.errstate(over="ignore", invalid="ignore"):
            bad_block = ~(np.isfinite(block) & (np.abs(block) <= _FLOAT32_MAX))
        for j in np.flatnonzero(bad_block.any(axis=0)):
            found[fast[j]] = (np.empty(0, np.int64), np.flatnonzero(bad_block[:, j]), None)
        table = pd.DataFrame(block.astype(np.float32), columns=fast)
        for c in self.numeric:
            if c in set(fast):
                continue
            raw = frame[c] if c in frame.columns else pd.Series([None] * n, dtype=object)
            values, text_rows, bad_rows, example = _numbers(raw)
            table[c] = values
            if len(text_rows) or len(bad_rows):
                found[c] = (text_rows, bad_rows, example)
        problems: list[dict[str, Any]] = []
        for c in self.numeric:
            if c not in found:
                continue
            text_rows, bad_rows, example = found[c]
            if len(text_rows):
                problems.append(
                    _problem(
                        ["body", c],
                        "not_a_number",
                        f"column {c!r} should be numeric; {len(text_rows):,} row(s) hold text (e.g. {example!r})",
                        column=c,
                        rows=_shown(text_rows),
                        n_rows=len(text_rows),
                    )
                )
            if len(bad_rows):
                problems.append(
                    _problem(
                        ["body", c],
                        "not_finite",
                        f"column {c!r} has {len(bad_rows):,} missing, NaN or infinite value(s)",
                        column=c,
                        rows=_shown(bad_rows),
                        n_rows=len(bad_rows),
                    )
                )
        for c in self.categorical:
            raw = frame[c] if c in frame.columns else pd.Series([None] * n, dtype=object)
            table[c] = [("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)) for v in raw]
        for c in self.unused:  # dropped at fit (constant in training): never read
            table[c] = np.zeros(n, dtype=np.float32)
        return table, problems


def _normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    names = [str(c).strip().lstrip("\ufeff").strip() for c in frame.columns]
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise RequestProblem(
            422,
            [
                _problem(
                    ["body", c],
                    "duplicate_column",
                    f"column {c!r} appears more than once (after stripping spaces)",
                    column=c,
                )
                for c in duplicated
            ],
        )
    frame = frame.copy(deep=False)
    frame.columns = names
    return frame.reset_index(drop=True)


def _numbers(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """A text/object column as float32 values, rows holding text, rows missing/NaN/Inf, one text example."""
    as_object = raw.astype(object)
    is_null = np.fromiter(
        (
            v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() in NULL_TEXTS)
            for v in as_object
        ),
        dtype=bool,
        count=len(as_object),
    )
    cleaned = [
        None if null else (v.strip() if isinstance(v, str) else v) for v, null in zip(as_object, is_null, strict=True)
    ]
    values = pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    text = np.isnan(values) & ~is_null
    example = as_object[text].iloc[0] if text.any() else None
    with np.errstate(over="ignore", invalid="ignore"):
        bad = ~(np.isfinite(values) & (np.abs(values) <= _FLOAT32_MAX)) & ~text
    return values.astype(np.float32), np.flatnonzero(text), np.flatnonzero(bad), example


def _shown(rows: np.ndarray) -> list[int]:
    return [int(r) for r in rows[:SHOWN_ROWS]]


def _problem(loc: Sequence[Any], kind: str, msg: str, **extra: Any) -> dict[str, Any]:
    return {"loc": list(loc), "type": kind, "msg": msg, **extra}


# -- input decoding ---------------------------------------------------------------------------------------
def _records_frame(records: list[Any]) -> pd.DataFrame:
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise RequestProblem(
            422,
            [
                _problem(["body", "records", i], "not_an_object", "each record must be a JSON object {column: value}")
                for i in bad[:SHOWN_ROWS]
            ],
        )
    return pd.DataFrame.from_records(records) if records else pd.DataFrame()


def _table_frame(data: bytes, kind: str, name: str) -> pd.DataFrame:
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(io.BytesIO(data)).to_pandas()
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as exc:  # pyarrow/pandas parse errors: the upload is not a table of this kind
        raise RequestProblem(
            422,
            [
                _problem(
                    ["body", name], "unreadable_file", f"cannot read the upload as {kind}: {str(exc).strip()[:300]}"
                )
            ],
        ) from None


def _file_kind(filename: str, content_type: str) -> str:
    lower = filename.lower()
    if lower.endswith((".parquet", ".pq")) or content_type in PARQUET_TYPES:
        return "parquet"
    if lower.endswith((".csv", ".txt")) or content_type in CSV_TYPES or not filename:
        return "csv"
    raise RequestProblem(415, f"{filename}: upload a .csv or .parquet file")


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing (413) more than ``max_bytes`` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RequestProblem(413, f"request body of {int(declared):,} bytes exceeds the limit of {max_bytes:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise RequestProblem(413, f"request body exceeds the limit of {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _frame_from_request(request: Request, max_bytes: int, top_features: int) -> tuple[pd.DataFrame, int]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _read_body(request, max_bytes)
    if content_type in ("application/json", "") and (body.strip()[:1] in (b"{", b"[") or not body.strip()):
        try:
            payload = json.loads(body or b"null")
        except json.JSONDecodeError as exc:
            raise RequestProblem(
                422, [_problem(["body", exc.pos], "json_invalid", f"invalid JSON: {exc.msg}")]
            ) from None
        if isinstance(payload, list):  # a bare list of records
            payload = {"records": payload, "top_features": top_features}
        if not isinstance(payload, dict) or "records" not in payload:
            raise RequestProblem(422, [_problem(["body", "records"], "missing", 'send {"records": [{...}, ...]}')])
        if not isinstance(payload["records"], list):
            raise RequestProblem(422, [_problem(["body", "records"], "list_type", "records must be a list")])
        k = payload.get("top_features", top_features)
        if not isinstance(k, int) or isinstance(k, bool):
            raise RequestProblem(
                422, [_problem(["body", "top_features"], "int_type", "top_features must be an integer")]
            )
        return _records_frame(payload["records"]), k
    if content_type == "multipart/form-data":

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, replay).form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise RequestProblem(422, [_problem(["body", "file"], "missing", "multipart upload needs a 'file' field")])
        data = await upload.read()
        filename = upload.filename or ""
        return _table_frame(
            data, _file_kind(filename, (upload.content_type or "").lower()), filename or "file"
        ), top_features
    if content_type in CSV_TYPES:
        return _table_frame(body, "csv", "body"), top_features
    if content_type in PARQUET_TYPES or content_type == "application/octet-stream":
        return _table_frame(body, "parquet", "body"), top_features
    raise RequestProblem(
        415,
        f"unsupported content type {content_type!r}: send application/json, "
        "multipart/form-data (field 'file'), text/csv or application/vnd.apache.parquet",
    )


# -- the app ------------------------------------------------------------------------------------------------
_SCORE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ScoreRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary", "description": ".csv or .parquet"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def model_info(model: LoadedModel, service: ScoringService) -> dict[str, Any]:
    """What ``GET /model`` returns: detector, threshold, schema, metrics and provenance."""
    saved: dict[str, Any] = {}
    if model.path is not None and (Path(model.path) / MODEL_FILE).is_file():
        saved = json.loads((Path(model.path) / MODEL_FILE).read_text())  # plain JSON, checked by load_model
    detector = saved.get("detector", {})
    schema = model.schema
    return {
        "detector": model.detector_name,
        "params": detector.get("params"),
        "supervision": detector.get("supervision"),
        "threshold": float(model.detector.threshold_),
        "threshold_strategy": getattr(model.detector, "threshold_strategy_", None),
        "schema": {
            "required_columns": [{"name": c, "dtype": schema.dtypes.get(c, "float32")} for c in service.required],
            "optional_columns": service.unused,
            "categories": {c: schema.categories.get(c, []) for c in service.categorical},
            "output_features": service.feature_names,
        },
        "attribution": service.attribution,
        "metrics": model.metadata.get("metrics"),
        "provenance": model.metadata.get("provenance"),
        "metadata": {k: v for k, v in model.metadata.items() if k not in ("metrics", "provenance")},
        "created": saved.get("created"),
        "netad_version": saved.get("netad_version"),
        "versions": saved.get("versions"),
    }


def create_app(
    model_dir: str | os.PathLike,
    *,
    api_key: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    n_threads: int | None = None,
) -> FastAPI:
    """A FastAPI app scoring flows with the model in ``model_dir`` (loaded now, once; see the module docstring)."""
    from netad import __version__

    if int(max_rows) < 1:
        raise NetadInputError(f"max_rows must be >= 1, got {max_rows}")
    if not max_body_mb > 0:
        raise NetadInputError(f"max_body_mb must be > 0, got {max_body_mb}")
    model = load_model(model_dir)
    service = ScoringService(model, max_rows=max_rows, n_threads=n_threads)
    info = model_info(model, service)
    max_bytes = int(max_body_mb * (1 << 20))
    started = time.time()
    header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Required when the service has a key.")

    def authorised(key: Annotated[str | None, Depends(header)]) -> None:
        if api_key is not None and (key is None or not secrets.compare_digest(key.encode(), api_key.encode())):
            raise RequestProblem(401, "missing or wrong X-API-Key header")

    app = FastAPI(
        title="netad scoring service",
        version=__version__,
        description=f"Anomaly scores from the saved **{model.detector_name}** model. Send flows to `POST /score`; "
        "`GET /model` lists the required columns.",
    )
    app.state.service = service

    @app.exception_handler(RequestProblem)
    async def _refused(request: Request, exc: RequestProblem) -> JSONResponse:
        headers = {"WWW-Authenticate": "APIKey"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.get("/health", summary="Liveness: the model is loaded")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": model.detector_name, "uptime_s": round(time.time() - started, 3)}

    @app.get(
        "/model",
        summary="Detector, threshold, input schema, metrics and provenance",
        dependencies=[Depends(authorised)],
    )
    def describe() -> dict[str, Any]:
        return info

    @app.post(
        "/score",
        summary="Score a batch of flows",
        response_model=ScoreResponse,
        dependencies=[Depends(authorised)],
        openapi_extra=_SCORE_BODY,
        responses={
            401: {"description": "Missing or wrong X-API-Key"},
            413: {"description": "Too large"},
            415: {"description": "Unsupported content type"},
            422: {"description": "Missing columns, text in numeric columns, NaN/Inf values"},
        },
    )
    async def score(
        request: Request,
        top_features: Annotated[int, Query(ge=0, le=MAX_TOP_FEATURES, description="For uploads.")] = 0,
    ) -> dict[str, Any]:
        frame, k = await _frame_from_request(request, max_bytes, top_features)
        return await run_in_threadpool(service.score_frame, frame, k)

    logger.info("serving %s (%s) with threshold %.6g", model_dir, model.detector_name, info["threshold"])
    return app
