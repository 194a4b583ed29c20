"""``DeepDetector``: what every PyTorch detector in netad shares (training settings, fit, batched scoring).

A subclass writes only the model-specific part:

- ``_build(n_features) -> nn.Module``   the network (built under the detector's seed);
- ``_loss(batch) -> tensor | {"loss": tensor, ...}``   mean loss of a mini-batch (extras are logged);
- ``_score_batch(xb) -> tensor``   per-row anomaly score of a batch, higher = more anomalous;

A subclass's ``__init__`` lists only its model's parameters: ``DeepDetector.__init_subclass__`` appends the
shared training parameters (keyword-only, as in :meth:`DeepDetector.__init__`) to its signature, so
``get_params``/``clone`` see every parameter explicitly, and ``parameter_defaults`` sets the subclass's own
defaults for them (or for a parent model's parameters: ``BetaVAE`` is a ``VAE`` with other defaults).

and, when needed, the hooks ``_val_loss``, ``_on_epoch_start``, ``_on_epoch_end``, ``_step`` (custom
optimisation step, e.g. GANs), ``_train_arrays`` (what is batched: X, or (X, y), ...) and ``_validation_arrays``
(rows of the model's own choosing for the validation loss). Training runs through
the one loop in :mod:`netad.nn.trainer`. A model with its own ``_step`` (e.g. a GAN's alternating updates)
builds its optimizers in ``_build`` with ``netad.nn.make_optimizer(self._train_config(), params)`` so they
honour the common ``optimizer``/``lr``/``weight_decay`` settings. This module imports torch;
``netad.detectors`` does not.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from netad.detectors.base import BaseDetector
from netad.errors import NetadInputError
from netad.nn import TrainConfig, predict_batches, resolve_device, seeded, thread_limit, train


class DeepDetector(BaseDetector):
    """Base of the PyTorch detectors: common training parameters, ``_fit`` = build + train, batched ``_score``.

    Parameters
    ----------
    epochs, batch_size, lr, optimizer, weight_decay
        Training settings (``optimizer`` in adam, adamw, sgd, rmsprop).
    patience
        Early stopping: epochs without improvement of the validation loss before stopping; the best weights
        are restored. None or 0 trains all ``epochs`` and keeps the final weights.
    validation_fraction
        Share of the training rows held out (seeded) for early stopping; 0 monitors the training loss.
    grad_clip
        Maximum global gradient L2 norm (None = no clipping).
    lr_schedule
        ``none``, ``plateau`` (halve on a stalled validation loss) or ``cosine``.
    device
        ``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
    n_threads
        torch CPU threads during fit and scoring (restored afterwards); None leaves torch's setting.
    verbose
        Show a Rich progress bar on stderr while training.
    threshold, random_state
        As in every netad detector; ``random_state`` seeds weight init, shuffling, the validation split,
        dropout and Monte-Carlo scoring locally (the global torch RNG is left untouched).
    """

    _score_batch_size: int = 2048  # rows per scoring pass: activations stay in L2 cache

    parameter_defaults: ClassVar[dict[str, Any]] = {}
    """A subclass's own defaults for parameters it inherits: the training settings below (BiGAN: lr 1e-5, ...) or
    a parent model's (BetaVAE: beta 4). Applied to the generated ``__init__`` signature by ``__init_subclass__``."""

    def __init__(
        self,
        *,
        epochs: int = 50,
        batch_size: int = 256,
        lr: float = 1e-3,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        patience: int | None = 10,
        validation_fraction: float = 0.1,
        grad_clip: float | None = None,
        lr_schedule: str = "none",
        device: str = "auto",
        n_threads: int | None = None,
        verbose: bool = False,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.grad_clip = grad_clip
        self.lr_schedule = lr_schedule
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose
        self.threshold = threshold
        self.random_state = random_state

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own_init = cls.__dict__.get("__init__")
        if own_init is None and "parameter_defaults" not in cls.__dict__:
            return  # the parent's generated __init__ fits as it is
        model_init = own_init if own_init is not None else cls.__init__.__model_init__  # type: ignore[misc]
        cls.__init__ = _with_training_parameters(cls, model_init)  # type: ignore[method-assign]

    # -- model-specific part (subclasses) --------------------------------------------------------------
    def _build(self, n_features: int) -> nn.Module:
        raise NotImplementedError

    def _loss(self, batch: Any) -> Any:
        raise NotImplementedError

    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # -- optional hooks ----------------------------------------------------------------------------------
    _val_loss: Any = None
    """A ``batch -> loss`` used on validation rows instead of ``_loss`` (None = ``_loss``)."""
    _step: Any = None
    """A ``batch -> loss`` that performs the whole optimisation step itself (None = the trainer's step)."""

    def _on_epoch_start(self, epoch: int) -> None:
        """Called before each epoch (0-based): schedules such as a KL warm-up go here."""

    def _on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch with its logs; return True to stop training."""
        return None

    def check_params(self) -> None:
        """The shared training settings (:meth:`netad.nn.TrainConfig.check`), then the model's own parameters."""
        try:
            self._train_config().check()
        except (TypeError, ValueError) as exc:
            raise NetadInputError(f"{type(self).__name__}: {exc}") from None
        super().check_params()

    def _train_arrays(self, X: np.ndarray, y: np.ndarray | None) -> np.ndarray | tuple[np.ndarray, ...]:
        """The arrays the trainer batches together (default: X alone)."""
        return X

    def _validation_arrays(self, X: np.ndarray, y: np.ndarray | None) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """Validation rows of the model's own choosing, shaped like ``_train_arrays`` (default None: the trainer
        holds out a seeded ``validation_fraction`` of the training arrays)."""
        return None

    # -- shared machinery --------------------------------------------------------------------------------
    def _train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            optimizer=self.optimizer,
            weight_decay=self.weight_decay,
            patience=self.patience,
            validation_fraction=self.validation_fraction,
            grad_clip=self.grad_clip,
            lr_schedule=self.lr_schedule,
            device=self.device,
            n_threads=self.n_threads,
            verbose=self.verbose,
            random_state=self.random_state,
        ).check()

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        config = self._train_config()
        self._check_params()
        device = resolve_device(self.device)
        self.device_ = str(device)
        with thread_limit(self.n_threads), seeded(self.random_state, device, salt=0):
            self.module_ = self._build(X.shape[1]).to(device)
        result = train(
            self.module_,
            self._train_arrays(X, y),
            self._loss if self._step is None else None,
            config,
            val_data=self._validation_arrays(X, y),
            val_loss=self._val_loss,
            step=self._step,
            on_epoch_start=self._on_epoch_start,
            on_epoch_end=self._on_epoch_end,
        )
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.n_epochs_ = result.n_epochs
        self.stopped_early_ = result.stopped_early

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        """Latent code of a batch; models with an encoder override this."""
        raise NotImplementedError(f"{type(self).__name__} has no latent code")

    def embed(self, X: Any) -> np.ndarray:
        """The latent code of each row (an autoencoder's bottleneck, a VAE's mean), float32 (rows x latent)."""
        from netad.detectors.base import check_features

        self._check_fitted()
        X = check_features(X, self.n_features_in_, what=f"{type(self).__name__}.embed X")
        return self._predict(self._embed_batch, X)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._predict(self._score_batch, X)

    def _predict(self, fn: Any, X: np.ndarray) -> np.ndarray:
        """``fn`` (a batch -> per-row values) over ``X`` in scoring batches of ``_score_batch_size`` rows, on the
        fitted device, in inference mode, with the detector's threads; float32."""
        return predict_batches(
            fn,
            X,
            module=self.module_,
            batch_size=self._score_batch_size,
            device=torch.device(self.device_),
            n_threads=self.n_threads,
        )


TRAINING_PARAMETERS: tuple[inspect.Parameter, ...] = tuple(
    inspect.signature(DeepDetector.__init__).parameters.values()
)[1:]
"""The shared training parameters (keyword-only, with their defaults): every deep detector's ``__init__`` ends
with them."""


def _with_training_parameters(cls: type, model_init: Any) -> Any:
    """``cls.__init__``: ``model_init``'s parameters, then the training parameters, defaults from
    ``cls.parameter_defaults``. It stores every argument under its own name, like a hand-written scikit-learn
    ``__init__``, and carries the full explicit signature (``__signature__``) that ``get_params`` reads."""
    training_names = {p.name for p in TRAINING_PARAMETERS}
    model_parameters = list(inspect.signature(model_init).parameters.values())
    self_parameter, model_parameters = model_parameters[0], model_parameters[1:]
    clash = sorted(training_names & {p.name for p in model_parameters})
    if clash:
        raise TypeError(f"{cls.__name__}.__init__ repeats the training parameters {clash}: DeepDetector adds them")
    defaults = dict(cls.parameter_defaults)  # type: ignore[attr-defined]
    unknown = sorted(set(defaults) - training_names - {p.name for p in model_parameters})
    if unknown:
        raise TypeError(f"{cls.__name__}.parameter_defaults names no parameter of it: {unknown}")
    parameters = [p.replace(default=defaults.get(p.name, p.default)) for p in (*model_parameters, *TRAINING_PARAMETERS)]
    signature = inspect.Signature([self_parameter, *parameters])

    @functools.wraps(model_init)
    def __init__(self: DeepDetector, *args: Any, **kwargs: Any) -> None:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{cls.__name__}.__init__() {exc}") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        del values[self_parameter.name]
        training = {name: values.pop(name) for name in list(values) if name in training_names}
        model_init(self, **values)
        for name, value in training.items():
            setattr(self, name, value)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__model_init__ = model_init  # type: ignore[attr-defined]
    return __init__
