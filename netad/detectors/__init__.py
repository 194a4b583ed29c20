"""Detectors: one contract (``BaseDetector``), one file per family, looked up by name.

>>> from netad.detectors import make
>>> detector = make("iforest", random_state=0)
"""

from netad.detectors.base import BaseDetector, check_features, check_labels
from netad.detectors.registry import available, get_class, make, register

# Classical detectors (scikit-learn)
register("iforest", "netad.detectors.iforest", "IsolationForest", "Isolation Forest (scikit-learn)")
register("ocsvm", "netad.detectors.ocsvm", "OneClassSVM", "One-Class SVM, RBF kernel (exact; for <= ~50k rows)")
register(
    "ocsvm-sgd",
    "netad.detectors.ocsvm",
    "ScalableOneClassSVM",
    "One-Class SVM for large data: Nystroem RBF features + SGDOneClassSVM",
)
register("lof", "netad.detectors.lof", "LocalOutlierFactor", "Local Outlier Factor in novelty mode")
register("elliptic", "netad.detectors.elliptic", "EllipticEnvelope", "Elliptic Envelope (robust covariance)")
register("pca", "netad.detectors.pca", "PCAReconstruction", "PCA reconstruction error")
register("mlp", "netad.detectors.supervised", "SupervisedMLP", "Supervised MLP classifier (baseline; needs labels)")
register(
    "gbm",
    "netad.detectors.supervised",
    "SupervisedGradientBoosting",
    "Supervised histogram gradient boosting (baseline; needs labels)",
)
# Deep reconstruction family (PyTorch)
register("autoencoder", "netad.detectors.autoencoder", "AutoEncoder", "MLP autoencoder, reconstruction error")
register("vae", "netad.detectors.vae", "VAE", "Variational autoencoder")
register("beta-vae", "netad.detectors.vae", "BetaVAE", "beta-VAE (VAE with a KL weight and warm-up)")
register(
    "neutral",
    "netad.detectors.neutral",
    "NeuTraL",
    "NeuTraL AD: learnable transformations + deterministic contrastive loss (Qiu et al. 2021)",
)
register("dagmm", "netad.detectors.dagmm", "DAGMM", "Deep Autoencoding Gaussian Mixture Model, sample energy")
register("bigan", "netad.detectors.bigan", "BiGAN", "BiGAN, reconstruction + discriminator feature-matching score")
register("seq2seq", "netad.detectors.seq2seq", "Seq2SeqAutoEncoder", "LSTM seq2seq autoencoder, reconstruction MSE")
register("maf", "netad.detectors.maf", "MAFDetector", "Masked autoregressive flow density, -log p(x)")
register(
    "latent-sculpting",
    "netad.detectors.latent_sculpting.detector",
    "LatentSculpting",
    "Latent sculpting: DCCL-trained CNN+Transformer encoder + MAF on benign latents (semi-supervised, zero-shot)",
)
register(
    "mnpwad",
    "netad.detectors.mnpwad",
    "MNPWAD",
    "Multi-normal prototypes, weakly supervised (a few labelled anomalies + contaminated unlabelled rows)",
)

__all__ = ["BaseDetector", "available", "check_features", "check_labels", "get_class", "make", "register"]
