"""aecourse.models: the MLP builder, the autoencoder and the bottleneck network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import aecourse as ae
from aecourse import models


def _kinds(module: nn.Sequential) -> list[str]:
    return [type(layer).__name__ for layer in module]


# ---- activation and mlp -------------------------------------------------------


def test_activation_by_name() -> None:
    for name, cls in models.ACTIVATIONS.items():
        a, b = models.activation(name), models.activation(name)
        assert isinstance(a, cls) and a is not b  # a fresh module each time
    assert isinstance(models.activation(None), nn.Identity)
    with pytest.raises(ValueError, match=r"latent_activation must be one of \[.*'relu'.*\] or None, got 'softmax'"):
        models.activation("softmax", "latent_activation")


def test_mlp_layers() -> None:
    net = ae.mlp([64, 32, 16, 2])
    assert _kinds(net) == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [(m.in_features, m.out_features) for m in net if isinstance(m, nn.Linear)] == [(64, 32), (32, 16), (16, 2)]
    assert _kinds(ae.mlp([4, 3], "tanh", "sigmoid")) == ["Linear", "Sigmoid"]
    assert _kinds(ae.mlp((4, 3, 2), None, None)) == ["Linear", "Linear"]
    assert _kinds(ae.mlp([4, 3, 2], "gelu", "identity")) == ["Linear", "GELU", "Linear", "Identity"]
    assert ae.mlp([5, 3])(torch.zeros(7, 5)).shape == (7, 3)


def test_mlp_errors() -> None:
    with pytest.raises(ValueError, match="sizes needs at least two entries"):
        ae.mlp([64])
    with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive int, got 0"):
        ae.mlp([64, 0, 2])
    with pytest.raises(ValueError, match=r"sizes\[2\] must be a positive int, got 2.5"):
        ae.mlp([64, 3, 2.5])
    with pytest.raises(ValueError, match="activation_name must be one of"):
        ae.mlp([4, 2], "relu6")
    with pytest.raises(ValueError, match="output_activation must be one of"):
        ae.mlp([4, 2], "relu", "softmax")


# ---- Autoencoder --------------------------------------------------------------


def test_autoencoder_shapes_and_mirrored_layers() -> None:
    model = ae.Autoencoder(64, 2, hidden=(32, 16))
    assert model.input_dim == 64 and model.latent_dim == 2
    assert _kinds(model.encoder) == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert _kinds(model.decoder) == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Sigmoid"]
    enc = [(m.in_features, m.out_features) for m in model.encoder if isinstance(m, nn.Linear)]
    dec = [(m.in_features, m.out_features) for m in model.decoder if isinstance(m, nn.Linear)]
    assert enc == [(64, 32), (32, 16), (16, 2)]
    assert dec == [(2, 16), (16, 32), (32, 64)]
    x = torch.rand(5, 64)
    z = model.encode(x)
    assert z.shape == (5, 2)
    x_hat = model.decode(z)
    assert x_hat.shape == (5, 64)
    assert torch.equal(model(x), x_hat)
    assert x_hat.min() > 0 and x_hat.max() < 1  # the sigmoid output


def test_autoencoder_latent_activation_and_overcomplete() -> None:
    model = ae.Autoencoder(8, 20, latent_activation="sigmoid", output_activation=None)
    z = model.encode(torch.randn(10, 8) * 10)
    assert z.shape == (10, 20) and z.min() >= 0 and z.max() <= 1
    assert isinstance(model.decoder[-1], nn.Linear)


def test_linear_autoencoder_is_an_affine_map() -> None:
    ae.set_seed(0)
    model = ae.Autoencoder(6, 2, hidden=(4,), activation=None, output_activation=None)
    assert all(isinstance(m, nn.Linear) for m in [*model.encoder, *model.decoder])
    # compose the weights by hand: x_hat = x A^T + c
    lin = [m for m in [*model.encoder, *model.decoder] if isinstance(m, nn.Linear)]
    a, c = torch.eye(6), torch.zeros(6)
    for m in lin:
        a, c = m.weight @ a, m.weight @ c + m.bias
    x = torch.randn(9, 6)
    torch.testing.assert_close(model(x), x @ a.T + c)
    assert torch.linalg.matrix_rank(a) == 2  # through a 2-D bottleneck


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, None, "2"])
def test_autoencoder_rejects_bad_latent_dim(bad: object) -> None:
    with pytest.raises(ValueError, match=f"latent_dim must be a positive int, got {bad!r}"):
        ae.Autoencoder(64, bad)  # type: ignore[arg-type]


def test_autoencoder_argument_errors() -> None:
    with pytest.raises(ValueError, match="input_dim must be a positive int"):
        ae.Autoencoder(0, 2)
    with pytest.raises(ValueError, match=r"hidden\[1\] must be a positive int, got -4"):
        ae.Autoencoder(64, 2, hidden=(32, -4))
    with pytest.raises(ValueError, match="activation must be one of"):
        ae.Autoencoder(64, 2, activation="swishy")
    with pytest.raises(ValueError, match="output_activation must be one of"):
        ae.Autoencoder(64, 2, latent_activation="sigmoid", output_activation="softmax")


def test_autoencoder_rejects_wrong_input_shapes() -> None:
    model = ae.Autoencoder(64, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\), got \(5, 63\)"):
        model(torch.zeros(5, 63))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\), got \(64,\)"):
        model.encode(torch.zeros(64))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\), got \(2, 8, 8\)"):
        model.encode(torch.zeros(2, 8, 8))
    with pytest.raises(ValueError, match=r"z must have shape \(B, 3\), got \(5, 2\)"):
        model.decode(torch.zeros(5, 2))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got ndarray"):
        model(np.zeros((5, 64), dtype=np.float32))


# ---- BottleneckNet ------------------------------------------------------------


def test_bottleneck_net() -> None:
    net = ae.BottleneckNet(64, 4, 10, hidden=(32,))
    x = torch.rand(6, 64)
    assert net.encode(x).shape == (6, 4)
    logits = net(x)
    assert logits.shape == (6, 10)
    assert _kinds(net.encoder) == ["Linear", "ReLU", "Linear"]
    assert _kinds(net.head) == ["Linear", "ReLU", "Linear"]  # no output activation: raw logits
    torch.testing.assert_close(logits, net.head(net.encode(x)))
    assert (logits < 0).any()  # not squashed
    regressor = ae.BottleneckNet(64, 2, 1, hidden=(), latent_activation="tanh")
    assert _kinds(regressor.encoder) == ["Linear", "Tanh"]
    assert regressor(x).shape == (6, 1)
    assert regressor.encode(x).abs().max() <= 1


def test_bottleneck_net_errors() -> None:
    with pytest.raises(ValueError, match="output_dim must be a positive int"):
        ae.BottleneckNet(64, 2, 0)
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        ae.BottleneckNet(64, -2, 10)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\)"):
        ae.BottleneckNet(64, 2, 10)(torch.zeros(3, 10))


def test_autoencoder_is_the_bottleneck_net_with_a_decoder_head() -> None:
    """Notebooks 01 -> 02: the same network, its head renamed decoder and its output the input's size."""
    assert issubclass(ae.Autoencoder, ae.BottleneckNet)
    torch.manual_seed(0)
    net = ae.BottleneckNet(64, 4, 64, hidden=(32,), output_activation="sigmoid")
    torch.manual_seed(0)
    model = ae.Autoencoder(64, 4, hidden=(32,))
    assert [k.replace("head.", "decoder.") for k in net.state_dict()] == list(model.state_dict())
    for a, b in zip(net.state_dict().values(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # built in the same order: the same weights from the same seed
    x = torch.rand(5, 64)
    torch.testing.assert_close(model(x), net(x))
    torch.testing.assert_close(model.decode(model.encode(x)), model(x))
    assert [name for name, _ in model.named_children()] == ["encoder", "decoder"]
    with pytest.raises(ValueError, match="output_activation must be one of"):
        ae.BottleneckNet(64, 2, 10, output_activation="softmax")
