"""What deep detectors share: MLP blocks, the one training loop, device/thread/seed handling.

Importing this package imports torch; ``netad`` and ``netad.detectors`` never import it themselves.
"""

from netad.nn.blocks import ACTIVATIONS, activation, check_sizes, mlp
from netad.nn.device import generator, resolve_device, seeded, thread_limit
from netad.nn.trainer import (
    LR_SCHEDULES,
    OPTIMIZERS,
    TrainConfig,
    TrainingDivergedError,
    TrainResult,
    make_optimizer,
    predict_batches,
    train,
)

__all__ = [
    "ACTIVATIONS",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "TrainConfig",
    "TrainResult",
    "TrainingDivergedError",
    "activation",
    "check_sizes",
    "generator",
    "make_optimizer",
    "mlp",
    "predict_batches",
    "resolve_device",
    "seeded",
    "thread_limit",
    "train",
]
