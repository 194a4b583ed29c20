"""Latent-space maps on UNSW-NB15: the embedding is the detector's code (AE bottleneck, VAE mean) or the input,
the sample keeps every attack category, and the PNG is real, with a legend naming the categories."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from netad.bench.spec import Job
from netad.cli import app
from netad.errors import NetadInputError
from netad.pipeline import fit_job
from netad.viz.latent import latent_embedding, latent_plot, stratified_sample

pytestmark = pytest.mark.needs_data("unsw-nb15")


def _fit(detector: str, **params):
    job = Job("unsw-nb15", "novelty", detector, seed=0, params=params, max_train=4000)
    fit = fit_job(job)
    return fit, fit.preprocessor.transform(fit.split.test.features)


@pytest.fixture(scope="module")
def autoencoder(shared_data):
    return _fit("autoencoder", epochs=2, bottleneck=8, n_threads=1)


def test_autoencoder_embedding_is_its_bottleneck_code(autoencoder):
    fit, X_test = autoencoder
    embedding, space = latent_embedding(fit.detector, X_test[:500])
    assert space == "latent" and embedding.shape == (500, 8)
    assert np.isfinite(embedding).all() and embedding.std(axis=0).max() > 1e-3
    again, _ = latent_embedding(fit.detector, X_test[:500])
    assert np.array_equal(embedding, again)


def test_the_bottleneck_code_carries_the_attack_signal(autoencoder):
    fit, X_test = autoencoder
    rows = np.random.default_rng(0).permutation(len(X_test))[:4000]
    embedding, _ = latent_embedding(fit.detector, X_test[rows])
    label = fit.split.test.label[rows]
    probe = LogisticRegression(max_iter=500).fit(embedding[:2000], label[:2000])
    assert roc_auc_score(label[2000:], probe.decision_function(embedding[2000:])) > 0.7


def test_vae_embedding_is_the_posterior_mean(shared_data):
    fit, X_test = _fit("vae", epochs=1, latent_dim=4, n_threads=1)
    embedding, space = latent_embedding(fit.detector, X_test[:300])
    assert space == "latent" and embedding.shape == (300, 4)
    again, _ = latent_embedding(fit.detector, X_test[:300])
    assert np.array_equal(embedding, again)  # the mean, not a sample of z


def test_detectors_without_a_code_are_mapped_from_their_input_features(shared_data):
    fit, X_test = _fit("pca")
    embedding, space = latent_embedding(fit.detector, X_test[:200])
    assert space == "input" and embedding.shape == (200, X_test.shape[1])
    with pytest.raises(NetadInputError, match="no latent code"):
        latent_embedding(fit.detector, X_test[:200], space="latent")


def test_stratified_sample_keeps_every_category_and_rare_ones_whole(autoencoder):
    fit, _ = autoencoder
    categories = np.asarray(fit.split.test.attack_category).astype(str)
    rows = stratified_sample(categories, 1000, random_state=0, min_per_category=30)
    assert abs(len(rows) - 1000) <= 30 and len(np.unique(rows)) == len(rows)
    values, counts = np.unique(categories, return_counts=True)
    drawn = dict(zip(*np.unique(categories[rows], return_counts=True), strict=True))
    assert set(drawn) == set(values)
    for category, count in zip(values, counts, strict=True):
        assert drawn[category] >= min(count, 30)


def test_latent_plot_writes_a_png_whose_legend_names_the_attack_categories(autoencoder, tmp_path):
    fit, X_test = autoencoder
    path = tmp_path / "latent.png"
    result = latent_plot(fit.detector, X_test, fit.split.test.attack_category, path, method="tsne", n_samples=300)
    assert result.points.shape == (len(result.rows), 2) and np.isfinite(result.points).all()
    assert result.embedding.shape == (len(result.rows), 8) and result.space == "latent"
    assert set(result.legend) == set(np.unique(result.categories))
    assert {"normal", "Generic", "Exploits"} <= set(result.legend)
    assert path.stat().st_size > 20_000
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 400 and image.shape[1] > 400 and image.std() > 0.05


def test_t_sne_map_is_titled_t_sne_and_no_attack_category_is_grey(autoencoder, tmp_path, monkeypatch):
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (drawn.append(self), save(self, *a, **k))[1])
    fit, X_test = autoencoder
    result = latent_plot(fit.detector, X_test, fit.split.test.attack_category, tmp_path / "t.png", n_samples=300)
    ax = drawn[0].axes[0]
    assert ax.get_title().startswith("t-SNE of AutoEncoder") and "TSNE" not in ax.get_title()
    colours = {c.get_label(): to_rgb(c.get_facecolor()[0]) for c in ax.collections}
    assert set(colours) == set(result.legend)
    for category, (r, g, b) in colours.items():
        is_grey = max(r, g, b) - min(r, g, b) < 0.05
        assert is_grey == (category == "normal"), category  # only normal traffic is grey
    assert len(set(colours.values())) == len(colours)


def test_pca_projection_and_unknown_method(autoencoder, tmp_path):
    fit, X_test = autoencoder
    result = latent_plot(fit.detector, X_test, fit.split.test.attack_category, None, method="pca", n_samples=300)
    assert result.points.shape == (len(result.rows), 2) and result.path is None
    with pytest.raises(NetadInputError, match="unknown projection"):
        latent_plot(fit.detector, X_test, fit.split.test.attack_category, None, method="isomap")


@pytest.mark.slow
def test_umap_projection_when_umap_learn_is_installed(autoencoder, tmp_path):
    pytest.importorskip("umap")
    fit, X_test = autoencoder
    result = latent_plot(fit.detector, X_test, fit.split.test.attack_category, tmp_path / "u.png", method="umap",
                         n_samples=500)  # fmt: skip
    assert result.points.shape == (len(result.rows), 2) and (tmp_path / "u.png").stat().st_size > 20_000


def test_cli_latent_plot_draws_the_code_of_a_fitted_autoencoder(tmp_path):
    out = tmp_path / "map.png"
    result = CliRunner().invoke(
        app, ["latent-plot", "-d", "unsw-nb15", "-m", "autoencoder", "--param", "autoencoder.epochs=1",
              "--max-train", "2000", "--n-samples", "400", "--method", "pca", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "latent space" in result.stdout and "Generic" in result.stdout
    assert matplotlib.image.imread(out).shape[0] > 300


def test_cli_latent_plot_rejects_an_unknown_method(tmp_path):
    result = CliRunner().invoke(app, ["latent-plot", "--method", "isomap", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "isomap" in result.output


def test_many_attack_categories_keep_distinct_colours_and_the_smallest_share_one_entry(tmp_path, monkeypatch):
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure

    from netad.viz.latent import MAX_COLOURED_CATEGORIES, draw_latent

    drawn: list[Figure] = []
    save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (drawn.append(self), save(self, *a, **k))[1])
    names = ["normal"] * 200 + [f"attack{k:02d}" for k in range(38) for _ in range(40 - k)]  # 38 categories
    points = np.random.default_rng(0).normal(size=(len(names), 2))
    legend = draw_latent(points, names, tmp_path / "many.png")
    assert len(legend) == 1 + MAX_COLOURED_CATEGORIES and legend[0] == "normal"
    assert legend[-1].startswith(f"other attacks ({38 - MAX_COLOURED_CATEGORIES + 1} categories")
    colours = [to_rgb(c.get_facecolor()[0]) for c in drawn[0].axes[0].collections]
    assert len(set(colours)) == len(colours)  # no two entries share a colour


def test_cli_latent_plot_refuses_an_existing_file_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from netad.cli import app

    out = tmp_path / "latent.png"
    out.write_bytes(b"mine")
    result = CliRunner().invoke(app, ["latent-plot", "-d", "nsl-kdd-sample", "-m", "pca", "-o", str(out)])
    assert result.exit_code == 2 and "--overwrite" in result.output and "training" not in result.output
    assert out.read_bytes() == b"mine"
