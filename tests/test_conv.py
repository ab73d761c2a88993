"""aecourse.conv against known answers: parameter and multiply-add counts worked out by
hand, shapes through the model, shifts of small hand-made images, exact equivariance
of a stride-1 convolution, and the transposed convolution as the convolution's transpose."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import aecourse as ae
from aecourse import conv


def test_digits_model_counts_by_hand() -> None:
    model = conv.ConvAutoencoder((8, 8), 8)
    # conv 1->5 (3x3): 5*9+5; conv 5->10 stride 2: 10*45+10; Linear 160->8; Linear 8->160;
    # transposed conv 10->5 (4x4): 10*5*16+5; conv 5->1: 45+1
    assert conv.count_parameters(model) == 50 + 460 + 1288 + 1440 + 805 + 46 == 4089
    # multiply-adds: 64 positions * 45, 16 * 90 * 5 ... (weights times the positions they visit)
    by_hand = 64 * 45 + 16 * 450 + 160 * 8 + 8 * 160 + 16 * (10 * 5 * 16) + 64 * 45
    assert conv.multiply_adds(model, 64) == by_hand == 28320
    mlp = ae.Autoencoder(64, 8, hidden=(28,))
    assert conv.count_parameters(mlp) == 4160
    assert conv.multiply_adds(mlp, 64) == 2 * (64 * 28 + 28 * 8) == 4032


def test_shapes_through_the_model_digits_and_mnist() -> None:
    for shape, channels, latent in (((8, 8), (5, 10), 8), ((28, 28), (8, 16, 16), 16), ((12, 8), (3, 4, 6), 4)):
        model = conv.ConvAutoencoder(shape, latent, channels=channels)
        x = torch.rand(3, shape[0] * shape[1])
        z = model.encode(x)
        assert z.shape == (3, latent)
        x_hat = model.decode(z)
        assert x_hat.shape == x.shape and torch.equal(model(x), x_hat)
        assert x_hat.min() >= 0 and x_hat.max() <= 1  # sigmoid output
        factor = 2 ** (len(channels) - 1)
        maps = model.encoder[:-2](x)  # the feature maps before Flatten and Linear
        assert maps.shape == (3, channels[-1], shape[0] // factor, shape[1] // factor)


def test_linear_output_and_other_kernels() -> None:
    model = conv.ConvAutoencoder((8, 8), 2, channels=(2,), kernel_size=5, output_activation=None)
    assert not isinstance(model.decoder[-1], nn.Sigmoid)
    assert model(torch.rand(2, 64)).shape == (2, 64)
    assert model.encoder[1].kernel_size == (5, 5) and model.encoder[1].padding == (2, 2)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"image_shape": (8,)}, "image_shape"),
    ({"image_shape": "8x8"}, "image_shape"),
    ({"image_shape": (0, 8)}, r"image_shape\[0\]"),
    ({"image_shape": (6, 6), "channels": (2, 2, 2)}, "divisible by 4"),
    ({"channels": ()}, "channels"),
    ({"channels": 5}, "channels"),
    ({"channels": (5, 0)}, r"channels\[1\]"),
    ({"kernel_size": 4}, "odd"),
    ({"latent_dim": 0}, "latent_dim"),
    ({"activation": "swish"}, "activation"),
])
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    args = {"image_shape": (8, 8), "latent_dim": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        conv.ConvAutoencoder(**args)


def test_wrong_input_shape_is_named() -> None:
    model = conv.ConvAutoencoder((8, 8), 8)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\)"):
        model(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"z must have shape \(B, 8\)"):
        model.decode(torch.rand(2, 7))


def test_shift_images_known_answers() -> None:
    x = torch.arange(1.0, 7.0).view(1, 6)  # one 2x3 image [[1, 2, 3], [4, 5, 6]]
    right = conv.shift_images(x, (2, 3), 0, 1)
    assert right.tolist() == [[0, 1, 2, 0, 4, 5]]
    up_left = conv.shift_images(x, (2, 3), -1, -1)
    assert up_left.tolist() == [[5, 6, 0, 0, 0, 0]]
    assert conv.shift_images(x, (2, 3), 2, 0).tolist() == [[0] * 6]  # moved right out of the picture
    assert conv.shift_images(x, (2, 3), 0, 0).tolist() == x.tolist()
    wrapped = conv.shift_images(x, (2, 3), 1, 1, circular=True)
    assert wrapped.tolist() == [[6, 4, 5, 3, 1, 2]]
    assert torch.equal(wrapped, torch.roll(x.view(2, 3), (1, 1), (0, 1)).view(1, 6))
    assert x.tolist() == [[1, 2, 3, 4, 5, 6]]  # the input is left alone


def test_shift_images_there_and_back() -> None:
    x = torch.rand(5, 64, generator=torch.Generator().manual_seed(0))
    back = conv.shift_images(conv.shift_images(x, (8, 8), 2, -1), (8, 8), -2, 1)
    inner = back.view(5, 8, 8)[:, :6, 1:]  # what never left the picture comes back unchanged
    assert torch.equal(inner, x.view(5, 8, 8)[:, :6, 1:])
    assert torch.equal(conv.shift_images(conv.shift_images(x, (8, 8), 3, 5, circular=True), (8, 8), -3, -5,
                                         circular=True), x)


def test_shift_images_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"shape \(B, 64\)"):
        conv.shift_images(torch.rand(2, 63), (8, 8), 1, 0)
    with pytest.raises(ValueError, match="dx must be a whole number"):
        conv.shift_images(torch.rand(2, 64), (8, 8), 1, 0.5)
    with pytest.raises(ValueError, match="dy must be a whole number"):
        conv.shift_images(torch.rand(2, 64), (8, 8), True, 0)


def test_matching_hidden_is_the_closest_width() -> None:
    assert conv.matching_hidden(4089, 64, 8) == 28
    assert conv.matching_hidden(35697, 784, 16) == 22
    for target in (200, 1000, 4089, 10_000):
        h = conv.matching_hidden(target, 64, 8)
        counts = {w: conv.count_parameters(ae.Autoencoder(64, 8, hidden=(w,))) for w in range(1, 80)}
        assert abs(counts[h] - target) == min(abs(c - target) for c in counts.values())
    assert conv.matching_hidden(1, 64, 8) == 1  # fewer parameters than any width: the narrowest
    with pytest.raises(ValueError, match="n_params"):
        conv.matching_hidden(0, 64, 8)


def test_count_parameters_skips_frozen_weights() -> None:
    layer = nn.Linear(3, 2)
    assert conv.count_parameters(layer) == 8
    layer.bias.requires_grad_(False)
    assert conv.count_parameters(layer) == 6


def test_multiply_adds_leaves_the_model_as_it_was() -> None:
    model = conv.ConvAutoencoder((8, 8), 8)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    conv.multiply_adds(model, 64)
    assert model.training and not model.encoder[1]._forward_hooks
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_stride_1_convolution_is_exactly_shift_equivariant() -> None:
    """The oracle of notebook 08, section 4: integers make every sum exact, so == holds."""
    g = torch.Generator().manual_seed(0)
    layer = nn.Conv2d(1, 3, 3, padding=1, padding_mode="circular").double()
    with torch.no_grad():
        layer.weight.copy_(torch.randint(-3, 4, layer.weight.shape, generator=g))
        layer.bias.copy_(torch.randint(-3, 4, layer.bias.shape, generator=g))
    x = torch.randint(0, 17, (4, 64), generator=g).double()
    for dy, dx in ((0, 1), (1, 0), (3, 5), (-2, 7)):
        moved = conv.shift_images(x, (8, 8), dy, dx, circular=True).view(4, 1, 8, 8)
        out = layer(x.view(4, 1, 8, 8))
        moved_out = torch.stack([conv.shift_images(m.flatten(1), (8, 8), dy, dx, circular=True)
                                 for m in out.unbind(1)], 1).view(4, 3, 8, 8)
        assert torch.equal(layer(moved), moved_out)


def test_transposed_convolution_is_the_transpose() -> None:
    """<conv(x), y> = <x, conv_transpose(y)>: the decoder's layer is the encoder layer's adjoint."""
    g = torch.Generator().manual_seed(1)
    w = torch.randn(4, 2, 3, 3, generator=g, dtype=torch.float64)
    x = torch.randn(1, 2, 8, 8, generator=g, dtype=torch.float64)
    y = torch.randn(1, 4, 4, 4, generator=g, dtype=torch.float64)
    lhs = (F.conv2d(x, w, stride=2, padding=1) * y).sum()
    rhs = (x * F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=1)).sum()
    assert torch.allclose(lhs, rhs, rtol=1e-12)


def test_trains_with_fit() -> None:
    ae.set_seed(0)
    x = torch.rand(64, 64, generator=torch.Generator().manual_seed(0))
    model = conv.ConvAutoencoder((8, 8), 4, channels=(2, 4))
    loader = ae.make_loader(x, batch_size=32, shuffle=True)
    history = ae.fit(model, ae.losses.reconstruction(), loader, epochs=5, lr=1e-2, device="cpu", progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
