"""Latent sculpting (Chhetri, Thapa & Chen 2025): a two-stage zero-shot intrusion detector.

Stage 1 trains a 1D-CNN + Transformer encoder (:class:`netad.nn.sculpt.HybridEncoder`) with the dual-centroid
compactness loss on benign rows and the *known* attacks: benign latents contract around one centroid, known attacks
gather around another. Stage 2 fits a masked autoregressive flow (:class:`netad.nn.flows.MAF`) to benign latents
only, so ``-log p(z)`` measures distance from the benign manifold, including families never seen in training.

Scores (``score``, read at scoring time; :meth:`LatentSculpting.score_variants` gives all from one encoder pass):
``two-stage`` (the seed's rule: stage-1 centroid flag, else the flow's ``-log p(z)``), ``two-stage-knn`` (the
default: the flag, else the mean distance to the ``knn_k`` nearest benign training latents), ``density``,
``distance``, ``margin``, ``knn`` and ``auto`` (best AUROC on an internal validation set of known families).
``stage1_margin_`` calibrates stage 1 to flag ``stage1_fpr`` of benign training rows. Semi-supervised: ``fit(X, y)``
takes ``y = 1`` on known-family rows. Why the default, the seed differences and the measurements behind them:
benchmarks/results/design_notes.md and benchmarks/results/cicids2017_improved_zero_shot.md.

The parts: :mod:`.stage1` (the network, stage 1's rows), :mod:`.density` (stage 2's flow), :mod:`.knn` (the kNN
scores), :mod:`.scores` (the score variants by name) and :mod:`.detector` (the detector that ties them together).
"""

from netad.detectors.latent_sculpting.detector import LatentSculpting
from netad.detectors.latent_sculpting.scores import SCORE_VARIANTS, SCORES, VARIANTS, ScoreVariant
from netad.detectors.latent_sculpting.stage1 import LatentSculptingNet

__all__ = ["SCORES", "SCORE_VARIANTS", "VARIANTS", "LatentSculpting", "LatentSculptingNet", "ScoreVariant"]
