"""``netad explain`` and ``netad latent-plot``: look inside one fitted detector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from netad.cli.common import (
    DataPathOption,
    DatasetNameOption,
    DetectorOption,
    MaxTrainOption,
    ParamOption,
    PreprocessOption,
    ProtocolOption,
    QuietOption,
    VerboseOption,
    app,
    log_to_stderr,
    say,
    single_job,
    stdout,
    user_errors,
)
from netad.cli.progress import progress_on_stderr
from netad.errors import NetadInputError
from netad.files import check_output


@app.command()
@user_errors
def explain(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the plot, CSVs and alerts.json.")],
    dataset: DatasetNameOption = "nsl-kdd-sample",
    detector: DetectorOption = "autoencoder",
    protocol: ProtocolOption = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split, the detector and the SHAP sampling.")] = 0,
    threshold: Annotated[
        str, typer.Option("--threshold", "-t", help="Alert threshold, chosen on validation (p99, best-f1, ...).")
    ] = "p99",
    param: ParamOption = None,
    max_train: MaxTrainOption = None,
    data_path: DataPathOption = None,
    preprocess_option: PreprocessOption = None,
    n_alerts: Annotated[int, typer.Option("--n-alerts", help="Explain this many top-scoring test alerts.")] = 50,
    top_k: Annotated[int, typer.Option("--top-k", help="Contributing features listed per alert.")] = 5,
    method: Annotated[str, typer.Option("--method", help="SHAP explainer: auto, permutation, exact, kernel.")] = "auto",
    n_background: Annotated[
        int, typer.Option("--n-background", help="Training normals in the SHAP background sample.")
    ] = 100,
    max_evals: Annotated[
        int | None, typer.Option("--max-evals", help="Model evaluations per alert (permutation explainer).")
    ] = None,
    plot: Annotated[str, typer.Option("--plot", help="Summary plot: bar or beeswarm.")] = "bar",
    no_group_categories: Annotated[
        bool,
        typer.Option(
            "--no-group-categories",
            help="Keep one-hot columns apart (default: each one's SHAP value is summed into its source column).",
        ),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Explain a detector's top test alerts with SHAP: summary plot, mean |SHAP| per feature, top features per alert."""
    log_to_stderr(verbose)
    from netad.explain import explain_alerts

    job = single_job(dataset, detector, protocol, seed, param, max_train, data_path, preprocess_option, threshold)
    with progress_on_stderr(quiet) as shown:
        if shown is not None:
            shown.line(f"explaining {detector}'s top alerts on {dataset} ({protocol}, seed {seed})")
        result = explain_alerts(
            job, n_alerts=n_alerts, threshold=threshold, method=method, n_background=n_background,
            max_evals=max_evals, group_categories=not no_group_categories, top_k=top_k, plot=plot, out_dir=out,
            overwrite=overwrite,
        )  # fmt: skip
    importance = Table(
        title=f"mean |SHAP| over {len(result.alerts)} alerts ({result.explanation.method}; "
        f"{result.threshold_strategy} threshold {result.threshold:.4g})",
        title_justify="left",
    )
    for column, justify in (("rank", "right"), ("feature", "left"), ("mean |SHAP|", "right"), ("mean SHAP", "right")):
        importance.add_column(column, justify=justify)  # type: ignore[arg-type]
    for _, row in result.explanation.mean_abs().head(15).iterrows():
        importance.add_row(
            str(row["rank"]), escape(row["feature"]), f"{row['mean_abs_shap']:.4g}", f"{row['mean_shap']:.4g}"
        )
    stdout.print(importance)
    alerts = Table(title="top alerts", title_justify="left")
    for column in ("alert", "row", "category", "score", "top features (SHAP)"):
        alerts.add_column(column, justify="left" if column in ("category", "top features (SHAP)") else "right")
    for i, (_, row) in enumerate(result.alerts.head(10).iterrows()):
        top = result.explanation.top_features(3)[i]
        alerts.add_row(
            str(i + 1), str(row["row"]), escape(row["attack_category"]), f"{row['score']:.4g}",
            escape(", ".join(f"{name} {value:+.3g}" for name, value in top)),
        )  # fmt: skip
    stdout.print(alerts)
    for name, path in result.files.items():
        say(f"{name}: {path}")


@app.command()
@user_errors
def latent_plot(
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    dataset: DatasetNameOption = "nsl-kdd-sample",
    detector: DetectorOption = "autoencoder",
    protocol: ProtocolOption = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split, the detector, the sample, the map.")] = 0,
    param: ParamOption = None,
    max_train: MaxTrainOption = None,
    data_path: DataPathOption = None,
    preprocess_option: PreprocessOption = None,
    method: Annotated[str, typer.Option("--method", help="2-D projection: tsne, umap (umap-learn), pca.")] = "tsne",
    space: Annotated[
        str, typer.Option("--space", help="auto (latent code when the detector has one), latent or input.")
    ] = "auto",
    n_samples: Annotated[
        int, typer.Option("--n-samples", help="Test rows drawn (stratified by attack category).")
    ] = 3000,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Map test flows through a detector's latent space (AE bottleneck, VAE mean) to 2-D, coloured by category."""
    log_to_stderr(verbose)
    import numpy as np

    from netad.pipeline import fit_job
    from netad.viz.latent import PROJECTION_NAMES, PROJECTIONS, SPACES
    from netad.viz.latent import latent_plot as draw

    if method not in PROJECTIONS:
        raise NetadInputError(f"--method {method!r}: use one of {', '.join(PROJECTIONS)}")
    if space not in SPACES:
        raise NetadInputError(f"--space {space!r}: use one of {', '.join(SPACES)}")
    if n_samples < 5:
        raise NetadInputError(f"--n-samples {n_samples}: need at least 5 rows")
    check_output(out, overwrite=overwrite, what="--out")
    job = single_job(dataset, detector, protocol, seed, param, max_train, data_path, preprocess_option)
    with progress_on_stderr(quiet):
        fitted = fit_job(job)
        test = fitted.split.test
        result = draw(fitted.detector, fitted.preprocessor.transform(test.features), test.attack_category, out,
                      method=method, space=space, n_samples=n_samples, random_state=seed,
                      overwrite=overwrite)  # fmt: skip
    title = f"{PROJECTION_NAMES[method]} of the {result.space} space ({result.embedding.shape[1]}-d)"
    table = Table(title=title, title_justify="left")
    table.add_column("attack category")
    table.add_column("rows drawn", justify="right")
    categories, counts = np.unique(result.categories, return_counts=True)
    for category, count in sorted(zip(categories, counts, strict=True), key=lambda pair: -pair[1]):
        table.add_row(escape(str(category)), f"{count:,}")
    stdout.print(table)
    say(f"plot: {result.path}")
