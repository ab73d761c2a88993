"""Convolutional autoencoders, and the shifts that test them (notebook 08).

Notebook 08 builds a convolution as a dense layer with shared, local weights, the
transposed convolution as that layer's transpose, and then :class:`ConvAutoencoder`
by hand; this module holds the same model and the helpers the notebook compares it
with: :func:`shift_images` (the shifted test images), :func:`count_parameters` and
:func:`matching_hidden` (an MLP autoencoder with as many parameters).

The model takes and returns flattened images (B, H * W), like
:class:`aecourse.Autoencoder`, so the same loaders, objectives and metrics serve both.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch
from torch import nn

from ._validate import positive_int
from .models import _activation_class, _check_input, activation

__all__ = ["ConvAutoencoder", "shift_images", "count_parameters", "matching_hidden", "multiply_adds"]


class ConvAutoencoder(nn.Module):
    """x -> convolutions -> Linear -> z -> Linear -> transposed convolutions -> x_hat (notebook 08).

    The encoder is a stride-1 convolution to ``channels[0]`` feature maps, then one
    stride-2 convolution per further entry of ``channels`` (each halves the height and
    width), then a Linear layer to the code z. The decoder mirrors it: a Linear layer
    back to the smallest feature maps, one stride-2 transposed convolution (kernel 4,
    padding 1: it doubles height and width exactly) per stride-2 convolution, and a
    stride-1 convolution to one channel. With ``image_shape=(8, 8)``,
    ``channels=(5, 10)``: (1, 8, 8) -> (5, 8, 8) -> (10, 4, 4) -> z -> (10, 4, 4) ->
    (5, 8, 8) -> (1, 8, 8).

    Args:
        image_shape: (H, W); both must be divisible by 2 ** (len(channels) - 1).
        latent_dim: size of the code z.
        channels: feature maps of each convolution of the encoder.
        kernel_size: odd size of the square kernels of the convolutions (padding keeps
            a stride-1 convolution's output the size of its input).
        activation: non-linearity after every layer but the code and the output.
        output_activation: applied to x_hat; ``"sigmoid"`` (the default) keeps it in [0, 1].
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        latent_dim: int,
        channels: Sequence[int] = (5, 10),
        kernel_size: int = 3,
        activation: str = "relu",
        output_activation: str | None = "sigmoid",
    ) -> None:
        super().__init__()
        height, width = _image_shape(image_shape)
        latent_dim = positive_int(latent_dim, "latent_dim")
        channels = _channels(channels)
        kernel_size = positive_int(kernel_size, "kernel_size")
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (padding kernel_size // 2 keeps the size), got {kernel_size}")
        _activation_class(activation, "activation")
        _activation_class(output_activation, "output_activation")
        factor = 2 ** (len(channels) - 1)
        if height % factor or width % factor:
            raise ValueError(f"image_shape {(height, width)} must be divisible by {factor}: each of the "
                             f"{len(channels) - 1} stride-2 convolutions halves it")
        self.image_shape, self.latent_dim = (height, width), latent_dim
        self.input_dim = height * width
        small = (channels[-1], height // factor, width // factor)  # the smallest feature maps (C, h, w)
        pad = kernel_size // 2

        enc: list[nn.Module] = [nn.Unflatten(1, (1, height, width)),  # (B, H * W) -> (B, 1, H, W)
                                nn.Conv2d(1, channels[0], kernel_size, padding=pad), _act(activation)]
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):
            enc += [nn.Conv2d(c_in, c_out, kernel_size, stride=2, padding=pad), _act(activation)]
        enc += [nn.Flatten(), nn.Linear(small[0] * small[1] * small[2], latent_dim)]
        self.encoder = nn.Sequential(*enc)

        dec: list[nn.Module] = [nn.Linear(latent_dim, small[0] * small[1] * small[2]), _act(activation),
                                nn.Unflatten(1, small)]
        for c_in, c_out in zip(channels[::-1][:-1], channels[::-1][1:], strict=True):
            dec += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), _act(activation)]
        dec += [nn.Conv2d(channels[0], 1, kernel_size, padding=pad), nn.Flatten()]
        if output_activation is not None:
            dec.append(_act(output_activation))
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H * W) -> (B, latent_dim)."""
        _check_input(x, self.input_dim, "x")
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> (B, H * W)."""
        _check_input(z, self.latent_dim, "z")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H * W) -> x_hat (B, H * W)."""
        return self.decode(self.encode(x))


def shift_images(x: torch.Tensor, image_shape: Sequence[int], dy: int, dx: int, circular: bool = False) -> torch.Tensor:
    """Move every image of ``x`` (B, H * W) down by ``dy`` and right by ``dx`` pixels (notebook 08).

    Negative values move up or left. Pixels pushed over an edge are lost and the
    uncovered ones are 0 (the background), unless ``circular``: then they wrap round
    to the other side (``torch.roll``), the shift under which a convolution with
    circular padding is exactly equivariant. Returns a new tensor of the same shape.
    """
    height, width = _image_shape(image_shape)
    dy, dx = _whole(dy, "dy"), _whole(dx, "dx")
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != height * width:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor of shape (B, {height * width}) for images {(height, width)}, got {shape}")
    images = x.reshape(-1, height, width)  # (B, H * W) -> (B, H, W)
    if circular:
        return torch.roll(images, shifts=(dy, dx), dims=(1, 2)).reshape(x.shape)
    out = torch.zeros_like(images)
    if abs(dy) < height and abs(dx) < width:
        rows_to, rows_from = _overlap(dy, height), _overlap(-dy, height)
        cols_to, cols_from = _overlap(dx, width), _overlap(-dx, width)
        out[:, rows_to, cols_to] = images[:, rows_from, cols_from]
    return out.reshape(x.shape)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in ``model`` (notebook 08's equal-budget comparison)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def matching_hidden(n_params: int, input_dim: int, latent_dim: int) -> int:
    """Width h of the one hidden layer of ``Autoencoder(input_dim, latent_dim, hidden=(h,))``
    whose parameter count is closest to ``n_params`` (notebook 08).

    That model, D -> h -> z -> h -> D, has h (2 D + 2 latent_dim + 2) + latent_dim + D
    parameters (weights and biases).
    """
    n_params = positive_int(n_params, "n_params")
    input_dim, latent_dim = positive_int(input_dim, "input_dim"), positive_int(latent_dim, "latent_dim")
    per_unit, fixed = 2 * input_dim + 2 * latent_dim + 2, latent_dim + input_dim
    low = max(1, (n_params - fixed) // per_unit)
    return min((low, low + 1), key=lambda h: (abs(h * per_unit + fixed - n_params), h))


@torch.no_grad()
def multiply_adds(model: nn.Module, input_dim: int) -> int:
    """Multiply-adds of one forward pass of ``model`` on one flattened image of ``input_dim`` (notebook 08).

    Counted for the layers that do them: a Linear layer's in x out weights, a
    convolution's weights times the positions it visits (output positions for
    ``Conv2d``, input positions for ``ConvTranspose2d``). Biases and activations are
    not counted. The model runs once, on zeros, on its own device.
    """
    input_dim = positive_int(input_dim, "input_dim")
    total = 0

    def count(layer: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(layer, nn.Linear):
            total += layer.in_features * layer.out_features
        elif isinstance(layer, nn.Conv2d):
            total += layer.weight.numel() * output[0, 0].numel()  # every weight at every output position
        elif isinstance(layer, nn.ConvTranspose2d):
            total += layer.weight.numel() * inputs[0][0, 0].numel()  # every weight at every input position

    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    was_training = model.training
    try:
        model.eval()
        device = next(model.parameters()).device
        model(torch.zeros(1, input_dim, device=device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def _overlap(shift: int, size: int) -> slice:
    """Where a 1-D shift by ``shift`` writes (its source is ``_overlap(-shift, size)``)."""
    return slice(shift, size) if shift >= 0 else slice(0, size + shift)


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number of pixels (an int), got {value!r}")
    return int(value)


def _act(name: str) -> nn.Module:
    return activation(name)


def _image_shape(image_shape: object) -> tuple[int, int]:
    if isinstance(image_shape, (str, bytes)) or not isinstance(image_shape, Sequence) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be (H, W), such as data.image_shape, got {image_shape!r}")
    return positive_int(image_shape[0], "image_shape[0]"), positive_int(image_shape[1], "image_shape[1]")


def _channels(channels: object) -> tuple[int, ...]:
    if isinstance(channels, (int, str)) or not isinstance(channels, Sequence) or len(channels) == 0:
        raise ValueError(f"channels must be a non-empty sequence of feature-map counts, such as (5, 10), "
                         f"got {channels!r}")
    return tuple(positive_int(c, f"channels[{i}]") for i, c in enumerate(channels))
