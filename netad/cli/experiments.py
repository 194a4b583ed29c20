"""``netad bench`` and ``netad sweep``: run detectors over datasets and seeds into a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from netad import thresholds
from netad.cli.common import (
    DATASET_NAMES,
    PREPROCESS_HELP,
    AddressOption,
    BackendOption,
    DatasetOption,
    DropColumnsOption,
    LabelColumnOption,
    NormalLabelOption,
    QuietOption,
    VerboseOption,
    app,
    count,
    dataset_options,
    log_to_stderr,
    mean_std,
    parse_assignments,
    parse_detector_params,
    parse_seeds,
    say,
    stderr,
    stdout,
    user_errors,
)
from netad.cli.progress import job_callbacks, progress_on_stderr


def _leaderboard(summary: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (
        "dataset",
        "detector",
        "threshold",
        "F1",
        "precision",
        "recall",
        "AUROC",
        "AUPRC",
        "fit s",
    ):
        justify = "left" if column in ("dataset", "detector", "threshold") else "right"
        table.add_column(column, justify=justify, no_wrap=True)
    ordered = summary.sort_values(["dataset", "threshold_strategy", "f1_mean"], ascending=[True, True, False])
    for _, row in ordered.iterrows():
        tag = thresholds.test_data_tag(row["threshold_strategy"])
        strategy = escape(row["threshold_strategy"] + (f" [{tag}]" if tag else ""))
        table.add_row(
            escape(row["dataset"]),
            escape(row["detector"] + (f"[{row['variant']}]" if row.get("variant") else "")),
            strategy,
            mean_std(row["f1_mean"], row["f1_std"]),
            mean_std(row["precision_mean"], row["precision_std"]),
            mean_std(row["recall_mean"], row["recall_std"]),
            mean_std(row["auroc_mean"], row["auroc_std"]),
            mean_std(row["auprc_mean"], row["auprc_std"]),
            f"{row['fit_seconds_mean']:.2f}",
        )
    return table


@app.command()
@user_errors
def bench(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            "-d",
            help=f"Dataset name(s), comma-separated: {', '.join(DATASET_NAMES)}, csv:PATH (see `netad datasets`).",
        ),
    ] = "nsl-kdd-sample",
    detectors: Annotated[
        str,
        typer.Option("--detectors", "-m", help="Detector names, comma-separated (see `netad detectors`)."),
    ] = "iforest,ocsvm,lof,elliptic,pca",
    protocol: Annotated[
        str,
        typer.Option("--protocol", "-p", help="Split protocol: novelty, kdd-8000-2000, dagmm, zero-shot, weak."),
    ] = "novelty",
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, comma-separated; mean ± std is over these.")] = "0,1,2",
    threshold: Annotated[
        list[str],
        typer.Option(
            "--threshold",
            "-t",
            help="Threshold strategies, comma-separated or repeated (-t p99 -t best-f1): p99, p97, p95, "
            "contamination:R, best-f1; oracle and seed:pQ use test data (labelled as such).",
        ),
    ] = ["p99"],  # noqa: B006 - Typer reads the default, it is never mutated
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Run directory (default runs/<time>-<dataset>-<protocol>). Must not exist unless --overwrite.",
        ),
    ] = None,
    max_train: Annotated[
        int | None,
        typer.Option("--max-train", help="Cap training rows (seeded subsample stratified by attack category)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Detector parameter DETECTOR.NAME=VALUE (repeatable)."),
    ] = None,
    data_path: Annotated[
        Path | None,
        typer.Option("--data-path", help="Dataset file or directory (default: $NETAD_DATA/<dataset>)."),
    ] = None,
    label_column: LabelColumnOption = None,
    normal_label: NormalLabelOption = None,
    drop_columns: DropColumnsOption = None,
    dataset_option: DatasetOption = None,
    protocol_option: Annotated[
        list[str] | None,
        typer.Option("--protocol-option", help="Protocol option KEY=VALUE (repeatable), e.g. unseen='[\"Bot\"]'."),
    ] = None,
    preprocess_option: Annotated[
        list[str] | None,
        typer.Option(
            "--preprocess-option",
            help=PREPROCESS_HELP,
        ),
    ] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", "-j", help="Parallel jobs (joblib); -1 = all cores.")] = -1,
    backend: BackendOption = "joblib",
    address: AddressOption = None,
    plots: Annotated[
        bool, typer.Option("--plots", help="Write score histograms with the threshold, ROC and PR curves (PNG).")
    ] = False,
    no_scores: Annotated[bool, typer.Option("--no-scores", help="Do not save per-row test scores.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Allow writing into a non-empty --out.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Benchmark detectors on a dataset: leaderboard (mean ± std over seeds) + a run directory."""
    log_to_stderr(verbose)
    from netad.bench import run

    loader_options = dataset_options(dataset_option, label_column, normal_label, drop_columns)
    seed_list = parse_seeds(seeds)
    from netad.pipeline import check_attacks_for_thresholds

    specs = [s.strip() for spec in threshold for s in spec.split(",") if s.strip()]
    datasets = [d.strip() for d in dataset.split(",") if d.strip()]
    check_attacks_for_thresholds(specs, datasets, str(data_path) if data_path else None, loader_options)

    with progress_on_stderr(quiet) as shown:
        on_plan, on_done = job_callbacks(shown, f"{dataset} / {protocol}")
        result = run(
            dataset, detectors, seed_list, protocol, ",".join(threshold), out,
            detector_params=parse_detector_params(param),
            dataset_path=str(data_path) if data_path else None,
            dataset_options=loader_options, protocol_options=parse_assignments(protocol_option, "--protocol-option"),
            max_train=max_train, n_jobs=n_jobs, preprocess=parse_assignments(preprocess_option, "--preprocess-option"),
            save_scores=not no_scores, overwrite=overwrite,
            on_done=on_done, on_plan=on_plan, backend=backend, address=address,
        )  # fmt: skip
    if not result.summary.empty:
        stdout.print(_leaderboard(result.summary, f"netad bench — {protocol} protocol, seeds {seeds}"))
    for warning in [*result.warnings, *_dropped_rows(result.run_dir)]:  # shown even with --quiet
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    say(f"run directory: {result.run_dir}")
    if plots and result.run_dir is not None and not no_scores:
        from netad.viz.job_figures import write_figures

        figures = write_figures(result.run_dir)
        say(f"{len(figures)} figures in {result.run_dir / 'figures'}")
    if result.errors:
        stderr.print(f"[red]{len(result.errors)} job(s) failed[/]; see config.json")
        raise typer.Exit(1)


def _dropped_rows(run_dir: Path | None) -> list[str]:
    """The rows each dataset's loader dropped, as config.json records them: said on the console too."""
    import json

    from netad.pipeline import dropped_rows_message

    if run_dir is None or not (run_dir / "config.json").is_file():
        return []
    datasets = json.loads((run_dir / "config.json").read_text()).get("datasets", {})
    lines = [
        dropped_rows_message(name, info.get("rows", 0), info.get("dropped_rows", {})) for name, info in datasets.items()
    ]
    return [line for line in lines if line]


def _sweep_table(table: Any, title: str) -> Table:
    """The sweep table in file order: one line per (dataset, detector, variant, threshold)."""
    out = Table(title=title, title_justify="left")
    several = table["dataset"].nunique() > 1 or table["detector"].nunique() > 1
    columns = (["dataset", "detector"] if several else []) + [
        "variant", "threshold", "F1", "precision", "recall", "AUROC", "AUPRC", "fit s",
    ]  # fmt: skip
    for column in columns:
        left = column in ("dataset", "detector", "variant", "threshold")
        out.add_column(column, justify="left" if left else "right", no_wrap=True)
    for _, row in table.iterrows():
        cells = [escape(row["dataset"]), escape(row["detector"])] if several else []
        tag = thresholds.test_data_tag(row["threshold_strategy"])
        strategy = row["threshold_strategy"] + (f" \\[{tag}]" if tag else "")
        cells += [
            escape(row["variant"]) if isinstance(row["variant"], str) and row["variant"] else "-", strategy,
            mean_std(row["f1_mean"], row["f1_std"]), mean_std(row["precision_mean"], row["precision_std"]),
            mean_std(row["recall_mean"], row["recall_std"]), mean_std(row["auroc_mean"], row["auroc_std"]),
            mean_std(row["auprc_mean"], row["auprc_std"]), f"{row['fit_seconds_mean']:.2f}",
        ]  # fmt: skip
        out.add_row(*cells)
    return out


@app.command()
@user_errors
def sweep(
    config: Annotated[
        Path, typer.Argument(help="Sweep file (.toml, or .yaml with pyyaml installed); see examples/sweeps/.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default runs/<time>-sweep-<name>). Must not exist."),
    ] = None,
    n_jobs: Annotated[
        int | None, typer.Option("--n-jobs", "-j", help="Parallel jobs (default: the file's n_jobs, else all cores).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting KEY=VALUE (repeatable): max_train=5000, params.epochs=3."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the variants and jobs; run nothing.")] = False,
    backend: BackendOption = "joblib",
    address: AddressOption = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw the metric-vs-parameter plots.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Allow writing into a non-empty --out.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a parameter sweep from a file: one job per variant and seed; sweep.csv (mean ± std) and plots."""
    log_to_stderr(verbose)
    from netad.bench.sweep import describe_jobs, load_config, run_sweep

    loaded = load_config(config, parse_assignments(set_, "--set"))
    if dry_run:
        for line in describe_jobs(loaded):
            stdout.print(line, highlight=False, soft_wrap=True, markup=False)
        counts = (
            f"{len(loaded.datasets)} dataset(s) x {len(loaded.detectors)} detector(s) x {len(loaded.variants)} "
            f"variant(s) x {len(loaded.seeds)} seed(s)"
        )
        strategies = ", ".join(loaded.thresholds)
        stdout.print(f"{count(len(loaded.jobs()), 'job')} = {counts}; thresholds {strategies}", highlight=False)
        return
    with progress_on_stderr(quiet) as shown:
        on_plan, on_done = job_callbacks(shown, f"sweep {loaded.name}")
        result = run_sweep(loaded, out, n_jobs=n_jobs, overwrite=overwrite, plots=not no_plots, on_done=on_done,
                           on_plan=on_plan, backend=backend, address=address)  # fmt: skip
    if not result.table.empty:
        seeds = ",".join(str(s) for s in loaded.seeds)
        stdout.print(_sweep_table(result.table, f"netad sweep {loaded.name} — {loaded.protocol}, seeds {seeds}"))
    say(f"run directory: {result.run_dir} (sweep.csv, plots/)")
    if result.errors:
        stderr.print(f"[red]{len(result.errors)} job(s) failed[/]; see config.json")
        raise typer.Exit(1)
