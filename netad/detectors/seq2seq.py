"""LSTM sequence-to-sequence autoencoder: an encoder LSTM reads a sequence into its final state, a decoder LSTM
started from that state rebuilds the sequence; the anomaly score is the reconstruction MSE.

Two ways to make a sequence out of a flow table (``mode=``):

- ``features`` (default, as in Cloudera's deep-learning-for-anomaly-detection seed): each row on its own, its
  feature vector read as a sequence of ``n_features`` scalar time steps. Rows stay independent, so the row
  order does not matter; the seed found this weaker than plain autoencoders on KDD, whose features have no
  temporal order.
- ``window``: sequences of ``window`` consecutive rows (each time step one whole feature vector). The score of
  row i is the reconstruction MSE of the window ending at row i (rows i - window + 1 .. i; the first rows are
  left-padded with copies of row 0). **Only meaningful when the rows keep their capture order**: shuffled or
  protocol-sampled splits (novelty, kdd-8000-2000, ...) destroy it, and then this mode just adds noise.

The decoder sees the code (the encoder's last hidden state) at every step and starts from the encoder's final
(h, c); there is no teacher forcing, so it cannot copy its input and scoring is one parallel pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from netad.detectors.base import check_features
from netad.detectors.constraints import Interval, Real, any_case, at_least
from netad.detectors.deep import DeepDetector
from netad.nn import thread_limit

MODES = ("features", "window")


class Seq2SeqNet(nn.Module):
    """Encoder LSTM -> code -> decoder LSTM (fed the code at every step) -> linear read-out per step."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, dropout: float) -> None:
        super().__init__()
        inner_dropout = dropout if num_layers > 1 else 0.0
        self.encoder = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=inner_dropout)
        self.decoder = nn.LSTM(hidden_size, hidden_size, num_layers, batch_first=True, dropout=inner_dropout)
        self.readout = nn.Linear(hidden_size, input_size)

    def encode(self, sequence: torch.Tensor) -> torch.Tensor:
        """The code of each sequence ``(batch, steps, input_size)``: the last layer's final hidden state."""
        _, (h, _) = self.encoder(sequence)
        return h[-1]

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        _, (h, c) = self.encoder(sequence)
        steps = sequence.shape[1]
        decoded, _ = self.decoder(h[-1].unsqueeze(1).expand(-1, steps, -1), (h, c))
        return self.readout(decoded)


class Seq2SeqAutoEncoder(DeepDetector):
    """LSTM encoder-decoder reconstructing each row's feature sequence (or windows of consecutive rows).

    Parameters
    ----------
    mode
        ``features`` (each row a sequence of its features) or ``window`` (consecutive rows; needs capture
        order, see the module docstring).
    window
        Rows per sequence in ``window`` mode (ignored otherwise).
    hidden_size, num_layers, dropout
        LSTM width (= code size), stacked layers, dropout between stacked layers.

    The remaining parameters are documented on :class:`netad.detectors.deep.DeepDetector`. In ``window``
    mode the validation split (early stopping) is a random subset of windows, which overlap the training
    windows; it monitors fit, not generalisation.
    """

    parameter_defaults = {"epochs": 20, "patience": 5, "grad_clip": 1.0}

    def __init__(
        self,
        mode: str = "features",
        window: int = 10,
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
    ) -> None:
        self.mode = mode
        self.window = window
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout

    @property
    def context_rows(self) -> int:
        """In ``window`` mode a row's score reads the ``window - 1`` rows before it."""
        return max(0, int(self.window) - 1) if self._windowed else 0

    _parameter_constraints = {
        "mode": [any_case(MODES)],
        "window": [at_least(1)],
        "hidden_size": [at_least(1)],
        "num_layers": [at_least(1)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    @property
    def _windowed(self) -> bool:
        return str(self.mode).lower() == "window"

    @property
    def _keeps_row_order(self) -> bool:
        """Windows read consecutive rows: fit holds out the last rows (not a random sample) for threshold_."""
        return self._windowed

    def _build(self, n_features: int) -> nn.Module:
        input_size = n_features if self._windowed else 1
        return Seq2SeqNet(input_size, int(self.hidden_size), int(self.num_layers), float(self.dropout))

    # -- sequences -------------------------------------------------------------------------------------
    def _pad(self, X: np.ndarray) -> np.ndarray:
        """``X`` with ``window - 1`` copies of its first row in front, so every row ends a full window."""
        return np.concatenate([np.repeat(X[:1], int(self.window) - 1, axis=0), X]).astype(np.float32, copy=False)

    def _windows(self, padded: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
        """``(len(ends), window, n_features)``: the windows ending at rows ``ends`` (indices into ``padded``)."""
        offsets = torch.arange(int(self.window) - 1, -1, -1, device=ends.device)
        return padded[ends.unsqueeze(1) - offsets]

    def _sequences(self, batch: Any) -> torch.Tensor:
        if self._windowed:
            return self._windows(self._padded_train, batch)
        return batch.unsqueeze(-1)

    def _train_arrays(self, X: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        if not self._windowed:
            return X
        # batch window end positions; windows are gathered from the padded table inside the loss
        padded = self._pad(X)
        self._padded_train = torch.from_numpy(padded).to(self.device_)
        return np.arange(int(self.window) - 1, len(padded), dtype=np.int64)

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        try:
            super()._fit(X, y)
        finally:
            self._padded_train = None  # training-only buffer

    # -- loss and scores -------------------------------------------------------------------------------
    def _errors(self, sequence: torch.Tensor) -> torch.Tensor:
        """Per-sequence reconstruction MSE."""
        return (self.module_(sequence) - sequence).square().mean(dim=(1, 2))

    def _loss(self, batch: Any) -> torch.Tensor:
        return self._errors(self._sequences(batch)).mean()

    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self._errors(xb.unsqueeze(-1))

    def _score(self, X: np.ndarray) -> np.ndarray:
        if not self._windowed:
            return super()._score(X)
        device = torch.device(self.device_)
        padded = torch.from_numpy(self._pad(X)).to(device)
        ends = torch.arange(int(self.window) - 1, len(padded), device=device)
        out = np.empty(len(X), dtype=np.float32)
        rows_per_batch = max(1, self._score_batch_size // int(self.window))
        self.module_.eval()
        with thread_limit(self.n_threads), torch.inference_mode():
            for start in range(0, len(ends), rows_per_batch):
                chunk = ends[start : start + rows_per_batch]
                out[start : start + len(chunk)] = self._errors(self._windows(padded, chunk)).float().cpu().numpy()
        return out

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_.encode(xb.unsqueeze(-1))  # features mode: each row a sequence of its features

    def embed(self, X: Any) -> np.ndarray:
        """The code (encoder's final hidden state) per row; in ``window`` mode, of the window ending there."""
        if not self._windowed:
            return super().embed(X)
        self._check_fitted()
        X = check_features(X, self.n_features_in_, what="Seq2SeqAutoEncoder.embed X")
        net: Seq2SeqNet = self.module_
        device = torch.device(self.device_)
        padded = torch.from_numpy(self._pad(X)).to(device)
        ends = torch.arange(int(self.window) - 1, len(padded), device=device)
        net.eval()
        with thread_limit(self.n_threads), torch.inference_mode():
            codes = [net.encode(self._windows(padded, chunk)) for chunk in ends.split(4096)]
        return torch.cat(codes).float().cpu().numpy()
