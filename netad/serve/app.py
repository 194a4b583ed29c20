"""The FastAPI app: routes, authentication, error answers, metrics; see :func:`create_app`."""

# no ``from __future__ import annotations``: FastAPI reads the route signatures' annotations at runtime
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

from netad.errors import NetadInputError
from netad.persist import MODEL_FILE, LoadedModel, load_model
from netad.serve.alerts import AlertLog
from netad.serve.batching import DEFAULT_MAX_BATCH, DEFAULT_WINDOW_MS, MicroBatcher
from netad.serve.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from netad.serve.parsing import (
    CSV_TYPES,
    PARQUET_TYPES,
    UNSUPPORTED,
    decode_json,
    is_json,
    media_type,
    read_body,
    read_table,
    upload,
)
from netad.serve.problems import RequestProblem
from netad.serve.scoring import DEFAULT_MAX_ROWS, MAX_TOP_FEATURES, ScoreJob, ScoringService
from netad.serve.validation import Rows

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_MB = 16.0
INLINE_JSON_BYTES = 256 * 1024
"""JSON bodies up to this size are parsed on the event loop; larger ones in a worker thread."""
OPTIONS_VARIABLE = "NETAD_SERVE_OPTIONS"
"""Environment variable through which ``netad serve --workers N`` passes its options to each worker."""


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
    ignored_columns: list[str] = Field(
        default_factory=list, description="Input columns the model does not use (the first 100)."
    )
    n_ignored_columns: int = Field(0, description="How many input columns the model does not use.")
    n_non_finite: int = Field(
        0, description="Rows holding NaN/Inf/missing numbers, filled by the model's saved policy and scored."
    )
    non_finite_rows: list[int] = Field(default_factory=list, description="Those rows (the first 100).")
    unknown_categories: dict[str, int] = Field(
        default_factory=dict, description="Rows per categorical column with a category unseen in training."
    )
    seconds: float = Field(..., description="Server time from validation to scores, including the batching wait.")


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
            "required_columns": [
                {"name": c, "dtype": schema.dtypes.get(c, "float32")} for c in service.schema.required
            ],
            "optional_columns": service.schema.unused,
            "categories": {c: schema.categories.get(c, []) for c in service.schema.categorical},
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
    batch_window_ms: float = DEFAULT_WINDOW_MS,
    max_batch: int = DEFAULT_MAX_BATCH,
    alert_log: str | os.PathLike | None = None,
    alert_top_features: int = 3,
) -> FastAPI:
    """A FastAPI app scoring flows with the model in ``model_dir`` (loaded now, once; see :mod:`netad.serve`)."""
    from netad import __version__

    if int(max_rows) < 1:
        raise NetadInputError(f"max_rows must be >= 1, got {max_rows}")
    if not max_body_mb > 0:
        raise NetadInputError(f"max_body_mb must be > 0, got {max_body_mb}")
    if not 0 <= float(batch_window_ms) <= 1000:
        raise NetadInputError(f"batch_window_ms must lie in [0, 1000], got {batch_window_ms}")
    if int(max_batch) < 1:
        raise NetadInputError(f"max_batch must be >= 1, got {max_batch}")
    if not 0 <= int(alert_top_features) <= MAX_TOP_FEATURES:
        raise NetadInputError(f"alert_top_features must lie in [0, {MAX_TOP_FEATURES}], got {alert_top_features}")
    model = load_model(model_dir)
    metrics = Metrics(model.detector_name)
    alerts = AlertLog.open(alert_log) if alert_log is not None else None
    service = ScoringService(
        model,
        max_rows=max_rows,
        n_threads=n_threads,
        alert_log=alerts,
        alert_top_features=alert_top_features,
        on_scored=metrics.observe_scored,
    )
    batcher = MicroBatcher(
        service.score_batch,
        window_ms=batch_window_ms,
        max_batch=max_batch,
        sequence_model=service.context_rows > 0,
        on_batch=metrics.observe_batch,
    )
    info = model_info(model, service)
    max_bytes = int(max_body_mb * (1 << 20))
    started = time.time()
    header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Required when the service has a key.")
    expected_key = api_key.encode() if api_key is not None else None

    async def authorised(key: Annotated[str | None, Depends(header)]) -> None:  # async: no thread hop
        if expected_key is not None and (key is None or not secrets.compare_digest(key.encode(), expected_key)):
            raise RequestProblem(401, "missing or wrong X-API-Key header")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        batcher.shutdown()
        if alerts is not None:
            alerts.close()

    app = FastAPI(
        lifespan=lifespan,
        title="netad scoring service",
        version=__version__,
        description=f"Anomaly scores from the saved **{model.detector_name}** model. Send flows to `POST /score`; "
        "`GET /model` lists the required columns; `GET /metrics` gives Prometheus counters.",
    )
    app.state.service, app.state.batcher, app.state.metrics = service, batcher, metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.exception_handler(RequestProblem)
    async def _refused(request: Request, exc: RequestProblem) -> JSONResponse:
        headers = {"WWW-Authenticate": "APIKey"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.get("/health", summary="Liveness: the model is loaded")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": model.detector_name, "uptime_s": round(time.time() - started, 3)}

    @app.get("/metrics", summary="Prometheus counters: requests, rows, alerts, latency", include_in_schema=True)
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get(
        "/model",
        summary="Detector, threshold, input schema, metrics and provenance",
        dependencies=[Depends(authorised)],
    )
    async def describe() -> dict[str, Any]:
        return info

    async def validated(request: Request, top_features: int) -> tuple[Rows, int]:
        content_type = media_type(request)
        body = await read_body(request, max_bytes)
        if is_json(content_type):
            if len(body) > INLINE_JSON_BYTES:
                return await run_in_threadpool(_json_rows, service, body, top_features)
            return _json_rows(service, body, top_features)
        if content_type == "multipart/form-data":
            data, kind, name = await upload(request, body)
        elif content_type in CSV_TYPES:
            data, kind, name = body, "csv", "body"
        elif content_type in PARQUET_TYPES or content_type == "application/octet-stream":
            data, kind, name = body, "parquet", "body"
        else:
            raise RequestProblem(415, UNSUPPORTED.format(content_type))
        return await run_in_threadpool(_table_rows, service, data, kind, name), top_features

    @app.post(
        "/score",
        summary="Score a batch of flows",
        response_model=ScoreResponse,
        dependencies=[Depends(authorised)],
        openapi_extra=_SCORE_BODY,
        responses={
            400: {"description": "Malformed body (invalid JSON, bad encoding, nesting too deep)"},
            401: {"description": "Missing or wrong X-API-Key"},
            413: {"description": "Too large"},
            415: {"description": "Unsupported content type"},
            422: {"description": "Missing columns, text in numeric columns, NaN/Inf values, no rows"},
        },
    )
    async def score(
        request: Request,
        top_features: Annotated[int, Query(ge=0, le=MAX_TOP_FEATURES, description="For uploads.")] = 0,
    ) -> Response:
        with batcher.arrival() as arrival:
            began = time.perf_counter()
            rows, k = await validated(request, top_features)
            result = await batcher.submit(ScoreJob(rows, service.check_top_features(k), began), arrival)
        return Response(orjson.dumps(result), media_type="application/json")

    logger.info("serving %s (%s) with threshold %.6g", model_dir, model.detector_name, info["threshold"])
    return app


def _json_rows(service: ScoringService, body: bytes, top_features: int) -> tuple[Rows, int]:
    payload = decode_json(body, top_features)
    return service.validate_records(payload.records), payload.top_features


def _table_rows(service: ScoringService, data: bytes, kind: str, name: str) -> Rows:
    return service.validate_frame(read_table(data, kind, name))


def limit_blas_threads(n_threads: int | None) -> None:
    """Use ``n_threads`` (default 1) BLAS threads in this process: the event loop needs a core, and a BLAS pool
    spinning on a busy machine costs more than it gives for the small matrices of a service."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(n_threads or 1), user_api="blas")


def app_from_environment() -> FastAPI:
    """The app of one ``netad serve --workers N`` worker, from the options in ``NETAD_SERVE_OPTIONS``."""
    options = json.loads(os.environ[OPTIONS_VARIABLE])
    limit_blas_threads(options.get("n_threads"))
    return create_app(options.pop("model_dir"), **options)
