"""DeepDetector's generated ``__init__``: the shared training parameters, written once, on every deep detector."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import clone

from netad.detectors import available, get_class, make
from netad.detectors.deep import TRAINING_PARAMETERS, DeepDetector
from netad.detectors.vae import VAE, BetaVAE
from netad.errors import NetadInputError

DEEP = sorted(name for name in available() if issubclass(get_class(name), DeepDetector))
TRAINING = [p.name for p in TRAINING_PARAMETERS]


class _Tiny(DeepDetector):
    """A made-up detector: one model parameter and its own training defaults."""

    parameter_defaults = {"epochs": 7, "lr": 0.5}

    def __init__(self, width: int = 3) -> None:
        self.width = width


def test_the_deep_detectors_are_found():
    assert {"autoencoder", "vae", "beta-vae", "dagmm", "bigan", "latent-sculpting", "mnpwad"} <= set(DEEP)


@pytest.mark.parametrize("name", DEEP)
def test_every_deep_detector_ends_its_signature_with_the_training_parameters(name):
    cls = get_class(name)
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    tail = parameters[-len(TRAINING) :]
    assert [p.name for p in tail] == TRAINING
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in tail)
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters[: -len(TRAINING)])
    expected = {p.name: cls.parameter_defaults.get(p.name, p.default) for p in TRAINING_PARAMETERS}
    assert {p.name: p.default for p in tail} == expected
    # get_params sees every parameter by name, with the signature's defaults, and clone keeps them
    detector = cls()
    assert list(detector.get_params()) == sorted(p.name for p in parameters)
    assert detector.get_params() == {p.name: p.default for p in parameters}
    assert clone(detector).get_params() == detector.get_params()


def test_a_subclass_sets_its_own_training_defaults_and_keeps_the_rest():
    tiny = _Tiny()
    assert (tiny.width, tiny.epochs, tiny.lr, tiny.batch_size) == (3, 7, 0.5, 256)
    tiny = _Tiny(5, epochs=2, patience=None)
    assert (tiny.width, tiny.epochs, tiny.patience, tiny.lr) == (5, 2, None, 0.5)
    assert repr(tiny) == "_Tiny(epochs=2, patience=None, width=5)"  # only the non-default values show
    assert clone(tiny).get_params() == tiny.get_params()


def test_a_model_with_other_defaults_is_declared_by_its_defaults_alone():
    signature = inspect.signature(BetaVAE.__init__).parameters
    assert (signature["beta"].default, signature["kl_warmup"].default, signature["lr"].default) == (4.0, "linear", 1e-3)
    beta = BetaVAE()
    assert (beta.beta, beta.kl_warmup) == (4.0, "linear")
    assert {k: v for k, v in beta.get_params().items() if k not in ("beta", "kl_warmup")} == {
        k: v for k, v in VAE().get_params().items() if k not in ("beta", "kl_warmup")
    }
    assert BetaVAE(beta=2.0, lr=0.01).get_params()["beta"] == 2.0


def test_training_parameters_are_keyword_only_and_unknown_names_are_refused():
    with pytest.raises(TypeError, match=r"AutoEncoder.__init__\(\) got an unexpected keyword argument 'epochz'"):
        get_class("autoencoder")(epochz=3)
    with pytest.raises(TypeError, match="too many positional arguments"):
        _Tiny(1, 2)
    with pytest.raises(NetadInputError, match="detector 'vae'.*unexpected keyword argument 'foo'"):
        make("vae", foo=1)


def test_a_subclass_cannot_repeat_a_training_parameter_or_default_an_unknown_one():
    with pytest.raises(TypeError, match=r"repeats the training parameters \['lr'\]"):

        class _Repeats(DeepDetector):
            def __init__(self, lr: float = 0.1) -> None:
                self.lr = lr

    with pytest.raises(TypeError, match=r"names no parameter of it: \['epoch'\]"):

        class _Typo(DeepDetector):
            parameter_defaults = {"epoch": 3}

            def __init__(self) -> None:
                pass


def test_defaults_set_on_a_subclass_train_with_those_values():
    X = np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)
    beta = get_class("beta-vae")(hidden=(8,), latent_dim=2, epochs=3, n_threads=1, random_state=0).fit(X)
    assert beta.kl_weights_ == [beta.kl_weight(e) for e in range(3)] and beta.kl_weights_[0] == 0.0
