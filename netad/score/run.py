"""``score_file``: run a saved model over a flow file of any size, chunk by chunk, into a parquet, CSV or JSON-lines
file or standard output."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from netad.errors import NetadInputError
from netad.inputs.opening import STDIN, InputFile, inspect_input, spooled_stdin
from netad.inputs.source import FlowSource
from netad.persist import LoadedModel, load_model
from netad.score.chunks import NON_FINITE_COLUMN, ON_BAD_ROWS, ChunkScorer, output_name
from netad.score.outputs import STDOUT, ScoreWriter, check_target, output_format

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 100_000


@dataclass
class ScoreReport:
    """What one scoring run read, cleaned, skipped and wrote."""

    input: Path
    output: Path
    format: str = "parquet"
    rows_read: int = 0
    rows_scored: int = 0
    rows_flagged: int = 0
    rows_written: int = 0
    rows_skipped: int = 0
    rows_cleaned: int = 0
    """Rows whose NaN/±Inf values were cleaned by the model's saved policy, scored, and marked ``non_finite``."""
    non_finite_by_column: dict[str, int] = field(default_factory=dict)
    """NaN/±Inf/empty cells per numeric model column (cleaned or skipped rows)."""
    cleaning: str | None = None
    """The model's cleaning policy applied (``clip``, ``zero``), None when no row needed it or it was not applied."""
    ignored_columns: list[str] = field(default_factory=list)
    """Input columns the model does not use and that were not kept (e.g. a label column)."""
    kept_columns: list[str] = field(default_factory=list)
    """Input columns copied to the output: those asked for and the flow identifiers the input had."""
    notes: list[str] = field(default_factory=list)
    """Changes made to the input's column names (a duplicated name read as ``name.1``, stripped spaces)."""
    unknown_categories: dict[str, int] = field(default_factory=dict)
    """Rows per categorical column whose category was never seen at fit (encoded as unknown)."""
    attribution: str | None = None
    chunks: int = 0
    seconds: float = 0.0

    @property
    def skipped_by_column(self) -> dict[str, int]:
        return dict(self.non_finite_by_column) if self.rows_skipped else {}

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else float("nan")


def score_file(
    model: LoadedModel | str | os.PathLike,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    keep_columns: Sequence[str] = (),
    top_features: int = 0,
    on_bad_rows: str = "clean",
    only_alerts: bool = False,
    output_format_name: str | None = None,
    overwrite: bool = False,
    n_threads: int | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> ScoreReport:
    """Score every row of ``input_path`` (``-``: standard input) with ``model`` into ``output_path`` (``-``:
    standard output); the format comes from the output's extension unless ``output_format_name`` is given.

    Rows with NaN/±Inf values are cleaned by the model's saved policy, scored and marked (``non_finite``) by
    default; ``on_bad_rows="error"`` refuses them, ``"skip"`` skips and counts them. ``only_alerts`` writes
    flagged rows only. ``n_threads`` sets the torch CPU threads of deep detectors. ``on_progress(rows_read,
    total_rows_or_None)`` is called after each chunk. A file output appears whole at the end, or not at all.
    """
    started = time.perf_counter()
    kind = output_format(output_path, output_format_name)
    if not isinstance(model, LoadedModel):
        model = load_model(model)
    _set_threads(model, n_threads)
    _check_options(model, chunk_rows, top_features, on_bad_rows)
    from_stdin = str(input_path) == STDIN
    check_target(output_path, None if from_stdin else Path(input_path), overwrite)
    with _opened(input_path) as file:
        source = FlowSource.open(file, model.schema, list(keep_columns))
        report = ScoreReport(
            input=Path(input_path), output=Path(output_path), format=kind, ignored_columns=source.ignored,
            kept_columns=source.keep, notes=source.notes,
        )  # fmt: skip
        if source.ignored:
            logger.info("%s: ignoring %d column(s) the model does not use: %s", file.name, len(source.ignored),
                        source.ignored)  # fmt: skip
        scorer = ChunkScorer(model, top_features, on_bad_rows, report)
        report.attribution = scorer.attribution
        with ScoreWriter.open(output_path, kind, scorer.file_metadata(), overwrite=overwrite) as writer:
            for chunk in source.chunks(chunk_rows):
                table = scorer.score(chunk, source.keep)
                if scorer.failed:
                    continue  # counting bad values through the rest of the file, writing nothing
                if only_alerts:
                    table = table.filter(pc.equal(table.column("is_attack"), 1))
                writer.write(table)
                report.chunks += 1
                if on_progress is not None:
                    on_progress(report.rows_read, source.total_rows)
            scorer.raise_if_failed(file.name, source.parquet)  # before the output is moved into place
            writer.finish(_empty_schema(scorer, source))
            report.rows_written = writer.rows
    report.non_finite_by_column = dict(scorer.bad.by_column)
    report.cleaning = scorer.policy if scorer.cleans and report.rows_cleaned else None
    report.seconds = time.perf_counter() - started
    logger.info(
        "scored %d rows of %s in %.1f s (%d flagged, %d cleaned, %d skipped) -> %s",
        report.rows_scored, input_path, report.seconds, report.rows_flagged, report.rows_cleaned,
        report.rows_skipped, output_path,
    )  # fmt: skip
    return report


@contextlib.contextmanager
def _opened(input_path: str | os.PathLike) -> Iterator[InputFile]:
    if str(input_path) == STDIN:
        with spooled_stdin() as copy:
            yield inspect_input(copy, label="<stdin>")
    else:
        yield inspect_input(input_path)


def _set_threads(model: LoadedModel, n_threads: int | None) -> None:
    if n_threads is None:
        return
    if "n_threads" not in model.detector.get_params():
        logger.info("n_threads=%s ignored: %s has no thread setting", n_threads, type(model.detector).__name__)
        return
    if int(n_threads) < 1:
        raise NetadInputError(f"n_threads must be >= 1, got {n_threads}")
    model.detector.set_params(n_threads=int(n_threads))


def _check_options(model: LoadedModel, chunk_rows: int, top_features: int, on_bad_rows: str) -> None:
    if model.preprocessor is None:
        raise NetadInputError(
            f"{model.path}: this model has no preprocessor (saved with save_detector); it scores feature matrices "
            "(detector.decision_function), not flow files; save one with `netad train`"
        )
    if int(chunk_rows) < 1:
        raise NetadInputError(f"chunk_rows must be >= 1, got {chunk_rows}")
    n_features = len(model.schema.output_features)
    if not 0 <= int(top_features) <= n_features:
        raise NetadInputError(f"top_features must lie in [0, {n_features}] (the model's features), got {top_features}")
    if on_bad_rows not in ON_BAD_ROWS:
        raise NetadInputError(f"on_bad_rows={on_bad_rows!r}: use one of {', '.join(ON_BAD_ROWS)}")


def _empty_schema(scorer: ChunkScorer, source: FlowSource) -> pa.Schema:
    fields = [pa.field("row", pa.int64()), pa.field("score", pa.float64()), pa.field("is_attack", pa.int8())]
    if scorer.cleans:
        fields.append(pa.field(NON_FINITE_COLUMN, pa.int8()))
    fields += [pa.field(output_name(name, scorer.top_features), kind) for name, kind in source.keep_types.items()]
    for i in range(scorer.top_features):
        fields.append(pa.field(f"top_feature_{i + 1}", pa.dictionary(pa.int32(), pa.string())))
        fields.append(pa.field(f"top_value_{i + 1}", pa.float32()))
    return pa.schema(fields)


def read_scores(path: str | os.PathLike) -> pd.DataFrame:
    """A parquet output of :func:`score_file` as a DataFrame (top-feature columns as plain strings)."""
    frame = pq.read_table(path).to_pandas()
    for column in frame.columns:
        if column.startswith("top_feature_"):
            frame[column] = frame[column].astype(str)
    return frame


__all__ = ["DEFAULT_CHUNK_ROWS", "STDOUT", "ScoreReport", "read_scores", "score_file"]
