"""Request body -> records or a table, refusing malformed bodies with 400/413/415/422 (never 500).

JSON is parsed by ``orjson``: invalid UTF-8, lone surrogates, numbers beyond float64 and nesting deeper than
1,024 levels are syntax errors (400); the body size is capped before it is read in full (413). A JSON body
must be an object ``{"records": [...]}`` or an array of records (422 otherwise). CSV (``text/csv``,
``text/plain``) and parquet bodies or ``multipart/form-data`` uploads become a table; a text body that is
JSON gets 415 (send it as ``application/json``), a table without data rows 422.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import orjson
import pandas as pd
from fastapi import Request
from starlette.requests import ClientDisconnect

from netad.errors import NetadInputError
from netad.serve.problems import RequestProblem, problem

JSON_TYPES = ("application/json", "")
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet", "application/parquet")


@dataclass
class Payload:
    """A decoded request: JSON ``records`` or an uploaded ``table``, and the ``top_features`` asked for."""

    records: list[Any] | None
    table: pd.DataFrame | None
    top_features: int


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing (413) more than ``max_bytes`` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RequestProblem(413, f"request body of {int(declared):,} bytes exceeds the limit of {max_bytes:,}")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise RequestProblem(413, f"request body exceeds the limit of {max_bytes:,} bytes")
            chunks.append(chunk)
    except ClientDisconnect:  # nobody will read the answer; say why in the log, not with a 500
        raise RequestProblem(400, "the client disconnected before sending the whole body") from None
    return b"".join(chunks)


def is_json(content_type: str) -> bool:
    return content_type in JSON_TYPES or content_type.endswith("+json")


def decode_json(body: bytes, top_features: int) -> Payload:
    """``{"records": [...], "top_features": k}`` or a bare list of records -> :class:`Payload`."""
    if not body.strip():
        raise RequestProblem(422, [problem(["body"], "missing", 'empty body: send {"records": [{...}, ...]}')])
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        hint = ""
        if body[exc.pos : exc.pos + 3] in (b"NaN", b"Inf", b"-In"):
            hint = "; NaN and Infinity are not JSON numbers (send null for a missing value)"
        raise RequestProblem(
            400, [problem(["body", exc.pos], "json_invalid", f"invalid JSON: {exc.msg} (at byte {exc.pos}){hint}")]
        ) from None
    if isinstance(payload, list):  # a bare list of records
        return Payload(payload, None, top_features)
    if not isinstance(payload, dict):
        raise RequestProblem(
            422,
            [
                problem(
                    ["body"],
                    "not_an_object",
                    f'the JSON body is a {type(payload).__name__}: send {{"records": [{{...}}, ...]}} '
                    "or an array of records",
                )
            ],
        )
    if "records" not in payload:
        raise RequestProblem(422, [problem(["body", "records"], "missing", 'send {"records": [{...}, ...]}')])
    if not isinstance(payload["records"], list):
        raise RequestProblem(422, [problem(["body", "records"], "list_type", "records must be a list")])
    k = payload.get("top_features", top_features)
    if not isinstance(k, int) or isinstance(k, bool):
        raise RequestProblem(422, [problem(["body", "top_features"], "int_type", "top_features must be an integer")])
    return Payload(payload["records"], None, k)


def read_table(data: bytes, kind: str, name: str) -> pd.DataFrame:
    """An uploaded CSV or parquet body as a table (CSV values as text); 422 when unreadable or without rows."""
    if kind == "csv" and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        raise RequestProblem(
            415, f"{name}: this body is JSON: send it with content-type application/json, not as a CSV/text upload"
        )
    try:
        table = _table_through_inputs(data, name)
    except NetadInputError as exc:  # the same one-line message `netad score` gives for this file
        raise RequestProblem(422, [problem(["body", name], "unreadable_file", str(exc))]) from None
    if len(table) == 0:
        raise RequestProblem(
            422,
            [
                problem(
                    ["body", name],
                    "no_rows",
                    f"the {kind} upload has no data rows"
                    + (f" (only a header of {len(table.columns)} column(s))" if len(table.columns) else ""),
                )
            ],
        )
    return table


def _table_through_inputs(data: bytes, name: str) -> pd.DataFrame:
    """The upload read by :mod:`netad.inputs`, as a file given to ``netad score`` would be: its kind from its
    bytes (parquet, compressed or plain CSV), its header, CSV values as text (the validation parses numbers)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from netad.inputs import header_names, inspect_input, read_csv, spooled_stdin

    with spooled_stdin(io.BytesIO(data)) as path:
        source = inspect_input(path, label=name)
        if source.parquet:
            try:
                return pq.read_table(path).to_pandas()
            except (pa.ArrowInvalid, OSError) as exc:
                raise NetadInputError(f"{name}: not a readable parquet file ({str(exc).strip()[:200]})") from None
        names, _ = header_names(source)
        text = {column: pa.string() for column in names}
        return read_csv(source, names=names, skip_rows=1, column_types=text, include=names, null_values=[]).to_pandas()


def file_kind(filename: str, content_type: str) -> str:
    lower = filename.lower()
    if lower.endswith((".parquet", ".pq")) or content_type in PARQUET_TYPES:
        return "parquet"
    if lower.endswith((".csv", ".txt")) or content_type in CSV_TYPES or not filename:
        return "csv"
    raise RequestProblem(415, f"{filename}: upload a .csv or .parquet file")


async def upload(request: Request, body: bytes) -> tuple[bytes, str, str]:
    """The ``file`` field of a multipart body: its bytes, kind (csv/parquet) and name."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form()
    except Exception as exc:  # a malformed multipart body
        raise RequestProblem(400, f"cannot read the multipart body: {str(exc)[:200]}") from None
    file = form.get("file")
    if file is None or isinstance(file, str):
        raise RequestProblem(422, [problem(["body", "file"], "missing", "multipart upload needs a 'file' field")])
    data = await file.read()
    filename = file.filename or ""
    return data, file_kind(filename, (file.content_type or "").lower()), filename or "file"


UNSUPPORTED = (
    "unsupported content type {!r}: send application/json, multipart/form-data (field 'file'), text/csv or "
    "application/vnd.apache.parquet"
)
