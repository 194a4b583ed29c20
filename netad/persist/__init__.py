"""Save and load fitted models (preprocessor + detector) in formats that never run code on load.

One directory per model (:mod:`netad.persist.layout` names the files):

- ``model.json``: format version, netad and library versions, the detector's registered name and parameters,
  ``threshold_``, its strategy and where it was set (``threshold_calibration``), the feature schema
  (:class:`FeatureSchema`), the caller's metadata and the sha256 of every other file;
- ``preprocessor.json`` + ``preprocessor.safetensors``: every fitted attribute of the
  :class:`~netad.preprocess.FlowPreprocessor`, its scaler and one-hot encoder included, as data
  (:mod:`~netad.persist.preprocessor_state`; nothing is refitted on load);
- ``detector.json`` / ``detector.safetensors`` / ``<attribute>.skops`` / ``weights.safetensors``: the detector's
  fitted state (:mod:`~netad.persist.detector_state`);
- ``feature_stats.safetensors`` (optional): mean and std of each output feature on the training rows (and 101
  quantiles of the normal validation scores, the drift reference of ``netad watch``), used by
  ``netad score --top-features``.

Writes are atomic and never follow a link (:mod:`netad.files`). Loading refuses a model file that is a link or lies
outside the directory before reading it, checks the format version and every file's sha256, caps every number
that sizes work (threads, feature counts, JSON depth, network shapes) and reads no pickle. The hashes catch
corrupted or swapped files; safety against someone who rewrites ``model.json`` too rests on the formats.

>>> save_model("models/iforest", preprocessor, detector, {"metrics": {...}})  # doctest: +SKIP
>>> model = load_model("models/iforest")  # doctest: +SKIP
>>> scores = model.detector.decision_function(model.preprocessor.transform(frame))  # doctest: +SKIP
"""

from netad.persist.formats import TRUSTED_TYPE_PACKAGES
from netad.persist.layout import (
    DETECTOR_ARRAYS,
    DETECTOR_JSON,
    FEATURE_STATS,
    FORMAT,
    FORMAT_VERSION,
    MODEL_FILE,
    PREPROCESSOR_ARRAYS,
    PREPROCESSOR_JSON,
    SKOPS_SUFFIX,
    WEIGHTS,
    check_target,
)
from netad.persist.model import LoadedModel, load_detector, load_model, registered_name, save_detector, save_model
from netad.persist.schema import FeatureSchema

__all__ = [
    "DETECTOR_ARRAYS",
    "DETECTOR_JSON",
    "FEATURE_STATS",
    "FORMAT",
    "FORMAT_VERSION",
    "MODEL_FILE",
    "PREPROCESSOR_ARRAYS",
    "PREPROCESSOR_JSON",
    "SKOPS_SUFFIX",
    "TRUSTED_TYPE_PACKAGES",
    "WEIGHTS",
    "FeatureSchema",
    "LoadedModel",
    "check_target",
    "load_detector",
    "load_model",
    "registered_name",
    "save_detector",
    "save_model",
]
