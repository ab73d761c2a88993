"""Models: an MLP builder, a network with a bottleneck layer, and the autoencoder built on it.

Notebook 01 introduces the bottleneck network (its narrow hidden layer is a latent
vector); notebook 02 turns its head into a decoder, and that is :class:`Autoencoder`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validate import positive_int

__all__ = ["ACTIVATIONS", "activation", "mlp", "BottleneckNet", "Autoencoder"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


def activation(name: str | None, argument: str = "activation") -> nn.Module:
    """A fresh activation module by name (notebook 01); ``None`` means identity (a linear layer)."""
    return _activation_class(name, argument)()


def _activation_class(name: str | None, argument: str) -> type[nn.Module]:
    if name is None:
        return nn.Identity
    if name not in ACTIVATIONS:
        raise ValueError(f"{argument} must be one of {sorted(ACTIVATIONS)} or None, got {name!r}")
    return ACTIVATIONS[name]


def mlp(
    sizes: Sequence[int],
    activation_name: str | None = "relu",
    output_activation: str | None = None,
) -> nn.Sequential:
    """A stack of Linear layers (notebook 01): ``sizes=[64, 32, 2]`` gives 64 -> 32 -> 2.

    ``activation_name`` follows every hidden layer; ``output_activation`` follows the
    last one (``None``: none, so the output is linear).
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least two entries (input, output), got {sizes!r}")
    sizes = [positive_int(size, f"sizes[{i}]") for i, size in enumerate(sizes)]
    _activation_class(activation_name, "activation_name")  # validate the names early
    _activation_class(output_activation, "output_activation")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(n_in, n_out))
        last = i == len(sizes) - 2
        act = output_activation if last else activation_name
        if act is not None:
            layers.append(activation(act))
    return nn.Sequential(*layers)


class BottleneckNet(nn.Module):
    """x -> encoder -> z -> head -> output: an MLP whose narrow hidden layer is a latent vector.

    Notebook 01. ``encode`` gives that layer (B, latent_dim); ``forward`` gives the task
    output (B, output_dim): class logits, a regression value or a reconstruction, so
    the same architecture can be trained for any of these tasks. The head's hidden
    layers mirror the encoder's: ``hidden=(32,)`` gives D -> 32 -> z -> 32 -> output.

    Args:
        input_dim: D, the size of a flattened input.
        latent_dim: size of the code z.
        output_dim: size of the task output.
        hidden: sizes of the encoder's hidden layers (the head's, reversed).
        activation: non-linearity after each hidden layer; ``None`` for a linear model.
        latent_activation: applied to z (``"sigmoid"`` for KL sparsity), or ``None``.
        output_activation: applied to the output; ``None`` (raw logits) by default.
    """

    def __init__(
        self,
        input_dim: int,
        latent_dim: int,
        output_dim: int,
        hidden: Sequence[int] = (32,),
        activation: str | None = "relu",
        latent_activation: str | None = None,
        output_activation: str | None = None,
    ) -> None:
        super().__init__()
        input_dim, latent_dim = positive_int(input_dim, "input_dim"), positive_int(latent_dim, "latent_dim")
        output_dim = positive_int(output_dim, "output_dim")
        hidden = _hidden_sizes(hidden)
        for argument, name in (("activation", activation), ("latent_activation", latent_activation),
                               ("output_activation", output_activation)):
            _activation_class(name, argument)  # a bad name is reported under the caller's argument
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.encoder = mlp([input_dim, *hidden, latent_dim], activation, latent_activation)
        self.head = mlp([latent_dim, *reversed(hidden), output_dim], activation, output_activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, input_dim) -> (B, latent_dim)."""
        _check_input(x, self.input_dim, "x")
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, input_dim) -> (B, output_dim)."""
        return self.head(self.encode(x))


class Autoencoder(BottleneckNet):
    """The :class:`BottleneckNet` whose head is a decoder: x -> encoder -> z -> decoder -> x_hat.

    Notebook 02 builds it by hand from notebook 01's bottleneck network: the output
    is the input again (``output_dim = input_dim``), and the head, now called
    ``decoder``, gets a method of its own, ``decode``. With ``hidden=(32,)``:
    64 -> 32 -> z -> 32 -> 64. A ``latent_dim`` above D makes it overcomplete.
    ``output_activation="sigmoid"`` (the default) keeps x_hat in [0, 1].
    """

    def __init__(
        self,
        input_dim: int,
        latent_dim: int,
        hidden: Sequence[int] = (),
        activation: str | None = "relu",
        latent_activation: str | None = None,
        output_activation: str | None = "sigmoid",
    ) -> None:
        super().__init__(input_dim, latent_dim, input_dim, hidden, activation, latent_activation, output_activation)
        self.decoder = self.head  # the same layers under their autoencoder name (state_dict keys decoder.*)
        del self.head

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> (B, input_dim)."""
        _check_input(z, self.latent_dim, "z")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, input_dim) -> x_hat (B, input_dim)."""
        return self.decode(self.encode(x))


def _hidden_sizes(hidden: object) -> tuple[int, ...]:
    if isinstance(hidden, (int, str)) or not isinstance(hidden, Sequence):
        raise ValueError(f"hidden must be a sequence of layer sizes such as (32,), got {hidden!r}")
    return tuple(positive_int(h, f"hidden[{i}]") for i, h in enumerate(hidden))


def _check_input(t: torch.Tensor, dim: int, name: str) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.ndim != 2 or t.shape[1] != dim:
        raise ValueError(f"{name} must have shape (B, {dim}), got {tuple(t.shape)}")
