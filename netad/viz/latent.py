"""2-D maps of a detector's latent space (``netad latent-plot``): a stratified sample of rows through the
detector's latent code (AE bottleneck, VAE mean; the input features for detectors without one), projected with
t-SNE, UMAP or PCA and drawn coloured by attack category. Drawn with matplotlib (the ``netad[plot]`` extra).

>>> fit = fit_job(Job("unsw-nb15", "novelty", "autoencoder", 0, params={"epochs": 5}))  # doctest: +SKIP
>>> X = fit.preprocessor.transform(fit.split.test.features)                          # doctest: +SKIP
>>> latent_plot(fit.detector, X, fit.split.test.attack_category, "latent.png")      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netad.datasets.base import NORMAL_CATEGORY
from netad.errors import NetadInputError
from netad.viz.style import mpl_figure, save_figure

PROJECTIONS = ("tsne", "umap", "pca")
PROJECTION_NAMES = {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}
SPACES = ("auto", "latent", "input")


@dataclass
class LatentPlot:
    """A latent-space map: the rows drawn, their embedding and 2-D projection, and the file written."""

    path: Path | None
    rows: np.ndarray  # positions into the X given
    embedding: np.ndarray  # (n, d): latent codes, or the input features
    points: np.ndarray  # (n, 2): the projection drawn
    categories: np.ndarray  # (n,) attack category of each row
    legend: list[str]  # legend entries: one per category (the smallest share one beyond MAX_COLOURED_CATEGORIES)
    space: str  # "latent" or "input"
    method: str  # tsne, umap or pca


def stratified_sample(
    categories: Sequence[Any] | np.ndarray, n: int, random_state: int | None = 0, min_per_category: int = 30
) -> np.ndarray:
    """Sorted row positions: about ``n`` rows, proportional to category size, at least ``min_per_category``
    (or all rows) of every category so rare attacks are visible."""
    categories = np.asarray(categories).astype(str)
    if n >= len(categories):
        return np.arange(len(categories))
    rng = np.random.default_rng(random_state)
    values, inverse, counts = np.unique(categories, return_inverse=True, return_counts=True)
    share = np.floor(n * counts / counts.sum()).astype(int)
    take = np.minimum(counts, np.maximum(share, min_per_category))
    excess = int(take.sum()) - n
    while excess > 0:  # trim the categories that have most to spare, one row at a time in bulk
        spare = take - np.minimum(counts, min_per_category)
        if spare.max() <= 0:
            break
        j = int(np.argmax(spare))
        cut = min(excess, int(spare[j]), max(1, excess // len(values)))
        take[j] -= cut
        excess -= cut
    rows = [rng.choice(np.flatnonzero(inverse == j), size=int(take[j]), replace=False) for j in range(len(values))]
    return np.sort(np.concatenate(rows))


def latent_embedding(detector: Any, X: np.ndarray, space: str = "auto") -> tuple[np.ndarray, str]:
    """``(embedding, space)``: the detector's latent code of ``X`` (AE bottleneck, VAE mean) when it has one
    (``space="latent"`` requires it), else ``X`` itself (``space="input"``)."""
    if space not in SPACES:
        raise NetadInputError(f"unknown space {space!r}; use one of {', '.join(SPACES)}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if space != "input":
        codes = _latent_codes(detector, X)
        if codes is not None:
            return codes, "latent"
        if space == "latent":
            raise NetadInputError(
                f"detector {type(detector).__name__} has no latent code (no encoder); use space='input'"
            )
    return X, "input"


def _latent_codes(detector: Any, X: np.ndarray) -> np.ndarray | None:
    """The latent code of a fitted deep detector (its ``embed``), or None when it has none."""
    embed = getattr(detector, "embed", None)
    if not callable(embed):
        return None
    try:
        return np.asarray(embed(X), dtype=np.float32)
    except NotImplementedError:
        return None


def project_2d(embedding: np.ndarray, method: str = "tsne", random_state: int | None = 0) -> np.ndarray:
    """A 2-D projection of ``embedding``: t-SNE (scikit-learn), UMAP (umap-learn) or PCA."""
    embedding = np.asarray(embedding, dtype=np.float32)
    n = len(embedding)
    if method not in PROJECTIONS:
        raise NetadInputError(f"unknown projection {method!r}; use one of {', '.join(PROJECTIONS)}")
    if n < 5:
        raise NetadInputError(f"need at least 5 rows to project, got {n}")
    if method == "pca" or embedding.shape[1] == 1:
        from sklearn.decomposition import PCA

        points = PCA(n_components=min(2, embedding.shape[1]), random_state=random_state).fit_transform(embedding)
        return points if points.shape[1] == 2 else np.column_stack([points[:, 0], np.zeros(n, np.float32)])
    if method == "umap":
        try:
            import umap
        except ImportError:
            raise ImportError('method="umap" needs umap-learn: pip install umap-learn') from None
        reducer = umap.UMAP(n_components=2, n_neighbors=min(15, n - 1), random_state=random_state)
        return np.asarray(reducer.fit_transform(embedding), dtype=np.float32)
    from sklearn.manifold import TSNE

    tsne = TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca", learning_rate="auto",
                random_state=random_state)  # fmt: skip
    return tsne.fit_transform(embedding).astype(np.float32)


MAX_COLOURED_CATEGORIES = 18
"""Attack categories drawn in their own colour (tab20 without greys); beyond it the smallest share one entry."""


def draw_latent(
    points: np.ndarray,
    categories: Sequence[Any] | np.ndarray,
    path: str | Path,
    title: str = "",
    overwrite: bool = True,
) -> list[str]:
    """Scatter ``points`` coloured by attack category (normal traffic in light grey, drawn first; attack colours
    from a palette without greys, so no category looks like normal traffic). With more than
    ``MAX_COLOURED_CATEGORIES`` attack categories the smallest are drawn together in black as "other attacks".
    Returns the legend."""
    categories = np.asarray(categories).astype(str)
    fig = mpl_figure((9.0, 7.0))
    ax = fig.subplots()
    values, counts = np.unique(categories, return_counts=True)
    size = dict(zip(values, counts.tolist(), strict=True))
    order = sorted(values, key=lambda c: (c != NORMAL_CATEGORY, -size[c], c))
    attacks = [c for c in order if c != NORMAL_CATEGORY]
    groups: list[tuple[str, list[str]]] = [(c, [c]) for c in order if c == NORMAL_CATEGORY]
    if len(attacks) > MAX_COLOURED_CATEGORIES:
        kept, rest = attacks[: MAX_COLOURED_CATEGORIES - 1], attacks[MAX_COLOURED_CATEGORIES - 1 :]
        groups += [(c, [c]) for c in kept]
        groups.append((f"other attacks ({len(rest)} categories, {sum(size[c] for c in rest):,} rows)", rest))
    else:
        groups += [(c, [c]) for c in attacks]
    from matplotlib import colormaps

    palette = _attack_colours(len(attacks) + 1, colormaps)
    colour_index = 0
    for label, members in groups:
        mask = np.isin(categories, members)
        if label == NORMAL_CATEGORY:
            colour: Any = "lightgrey"
        elif len(members) > 1:
            colour = "black"
        else:
            colour = palette[colour_index % len(palette)]
            colour_index += 1
        ax.scatter(points[mask, 0], points[mask, 1], s=6 if label == NORMAL_CATEGORY else 9, color=colour,
                   alpha=0.6, label=label, linewidths=0, rasterized=True)  # fmt: skip
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=2.5, frameon=False,
                       title="attack category", fontsize="small")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path, overwrite=overwrite, dpi=120, bbox_inches="tight")
    return [text.get_text() for text in legend.get_texts()]


def _attack_colours(n: int, colormaps: Any) -> list[Any]:
    """tab10 (tab20 beyond 9 attack categories) without its greys, which read as normal traffic."""
    if n <= 10:
        return [colormaps["tab10"](i) for i in range(10) if i != 7]  # 7 = grey
    return [colormaps["tab20"](i) for i in range(20) if i not in (14, 15)]  # 14, 15 = greys


def latent_plot(
    detector: Any,
    X: np.ndarray,
    categories: Sequence[Any] | np.ndarray,
    path: str | Path | None,
    method: str = "tsne",
    space: str = "auto",
    n_samples: int = 3000,
    random_state: int | None = 0,
    title: str | None = None,
    overwrite: bool = True,
) -> LatentPlot:
    """Map a stratified sample of ``X`` (e.g. test rows) through the detector's latent code, project it to 2-D
    and draw it coloured by attack category. Detectors without a code are drawn from their input features."""
    categories = np.asarray(categories).astype(str)
    if len(categories) != len(X):
        raise NetadInputError(f"X has {len(X)} rows but categories has {len(categories)}")
    if method not in PROJECTIONS:
        raise NetadInputError(f"unknown projection {method!r}; use one of {', '.join(PROJECTIONS)}")
    from netad.progress import phase

    rows = stratified_sample(categories, n_samples, random_state)
    phase(f"encoding {len(rows):,} sampled test rows ({space} space)")
    embedding, used_space = latent_embedding(detector, np.asarray(X)[rows], space)
    phase(f"{PROJECTION_NAMES[method]} of {len(rows):,} rows x {embedding.shape[1]} dimensions to 2-D")
    points = project_2d(embedding, method, random_state)
    legend: list[str] = []
    if path is not None:
        name = type(detector).__name__
        what = f"{name} latent code ({embedding.shape[1]}-d)" if used_space == "latent" else f"{name} input features"
        title = title or f"{PROJECTION_NAMES[method]} of {what}, {len(rows):,} rows"
        legend = draw_latent(points, categories[rows], path, title, overwrite)
    return LatentPlot(
        Path(path) if path is not None else None, rows, embedding, points, categories[rows], legend, used_space, method
    )
