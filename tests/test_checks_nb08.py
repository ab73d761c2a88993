"""The exercise checks of notebook 08, fed as a learner would feed them: the stub, plausible
wrong answers (rejected, with the learner's value, what was expected and a hint) and a
right answer other than the notebook's solution (accepted)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from check_support import accepted, not_attempted, rejected

import aecourse as ae
from aecourse import checks

# ---- exercise 1: a convolution with a loop ---------------------------------------------------


def _conv_loop(x, kernel, stride, padding, flip=False, use_stride=True, use_padding=True):  # noqa: ANN001, ANN202
    kernel = kernel.flip(0, 1) if flip else kernel
    stride = stride if use_stride else 1
    x = F.pad(x, (padding,) * 4) if use_padding else x
    kh, kw = kernel.shape
    h_out, w_out = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    return torch.tensor([[float((x[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel).sum())
                          for j in range(w_out)] for i in range(h_out)])


def test_my_conv2d(capsys: pytest.CaptureFixture[str]) -> None:
    def stub(x, kernel, stride, padding):  # noqa: ANN001, ANN202
        ...

    not_attempted(capsys, checks.my_conv2d, stub)
    rejected(checks.my_conv2d, lambda x, k, s, p: _conv_loop(x, k, s, p, flip=True), says="flipped")  # true convolution
    rejected(checks.my_conv2d, lambda x, k, s, p: _conv_loop(x, k, s, p, use_stride=False), says="shape")
    rejected(checks.my_conv2d, lambda x, k, s, p: _conv_loop(x, k, s, p, use_padding=False), says="shape")
    rejected(checks.my_conv2d, lambda x, k, s, p: _conv_loop(x, k, s, p) + 0.1, says="at")  # a stray bias
    with pytest.raises(IndexError):  # an error in the learner's own code keeps its own traceback
        checks.my_conv2d(lambda x, k, s, p: x[100])
    # a different right answer: the unfold (im2col) way, as a matrix product
    accepted(capsys, checks.my_conv2d, lambda x, k, s, p: (
        k.flatten() @ F.unfold(x[None, None], k.shape, padding=p, stride=s)[0]).view(
        (x.shape[0] + 2 * p - k.shape[0]) // s + 1, (x.shape[1] + 2 * p - k.shape[1]) // s + 1))
    accepted(capsys, checks.my_conv2d, _conv_loop)  # a loop returning float32: close enough


# ---- exercise 2: a transposed convolution as stamps ------------------------------------------


def _stamps(y, kernel, stride, at_stride=True, add=True, flip=False):  # noqa: ANN001, ANN202
    kernel = kernel.flip(0, 1) if flip else kernel
    kh, kw = kernel.shape
    (h, w), s = y.shape, stride if at_stride else 1
    out = torch.zeros((h - 1) * stride + kh, (w - 1) * stride + kw, dtype=y.dtype)
    for i in range(h):
        for j in range(w):
            window = (slice(i * s, i * s + kh), slice(j * s, j * s + kw))
            out[window] = out[window] + y[i, j] * kernel if add else y[i, j] * kernel
    return out


def test_my_conv_transpose2d(capsys: pytest.CaptureFixture[str]) -> None:
    not_attempted(capsys, checks.my_conv_transpose2d, lambda y, k, s: None)
    rejected(checks.my_conv_transpose2d, lambda y, k, s: _stamps(y, k, s, add=False), says="at")  # overlaps overwritten
    rejected(checks.my_conv_transpose2d, lambda y, k, s: _stamps(y, k, s, at_stride=False), says="at")  # stride ignored
    rejected(checks.my_conv_transpose2d, lambda y, k, s: _stamps(y, k, s, flip=True), says="flipped")
    rejected(checks.my_conv_transpose2d, lambda y, k, s: F.conv2d(y[None, None], k[None, None])[0, 0],
             says="shape")  # a convolution, not its transpose
    # a different right answer: zero-insert between pixels, pad, then convolve with the flipped kernel
    def dilate_then_conv(y, k, s):  # noqa: ANN001, ANN202
        h, w = y.shape
        big = torch.zeros((h - 1) * s + 1, (w - 1) * s + 1, dtype=y.dtype)
        big[::s, ::s] = y
        kh, kw = k.shape
        big = F.pad(big, (kw - 1, kw - 1, kh - 1, kh - 1))
        return F.conv2d(big[None, None], k.flip(0, 1)[None, None])[0, 0]

    accepted(capsys, checks.my_conv_transpose2d, dilate_then_conv)
    accepted(capsys, checks.my_conv_transpose2d, _stamps)


# ---- exercise 3: an MLP trained on shifted images --------------------------------------------


@pytest.fixture(scope="module")
def shifted_setup() -> dict:
    """Synthetic 4x4 'images': a bright 2x2 square at a random place; shifted copies to test on."""
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(96, 4, 4)
    for n, (r, c) in enumerate(torch.randint(0, 3, (96, 2), generator=g).tolist()):
        x[n, r:r + 2, c:c + 2] = 1.0
    x = x.view(96, 16)
    shifted = torch.cat([ae.conv.shift_images(x, (4, 4), dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])

    def train(data: torch.Tensor, hidden: int = 6, epochs: int = 60) -> torch.nn.Module:
        ae.set_seed(0)
        model = ae.Autoencoder(16, 3, hidden=(hidden,))
        loader = ae.make_loader(data, batch_size=len(data), shuffle=True)  # one step per epoch: fast
        ae.fit(model, ae.losses.reconstruction(), loader, epochs=epochs, lr=2e-2, device="cpu", progress=False)
        return model

    plain, augmented = train(x), train(shifted)
    loader = ae.make_loader(shifted, batch_size=256)
    return {"plain": plain, "augmented": augmented, "wide": train(shifted, hidden=12), "loader": loader,
            "reference": ae.train.reconstruction_mse(plain, loader),  # the same MLP trained without shifts
            "n_params": ae.conv.count_parameters(plain)}


def test_mlp_aug(capsys: pytest.CaptureFixture[str], shifted_setup: dict) -> None:
    s = shifted_setup
    context = (s["loader"], s["reference"], s["n_params"])
    not_attempted(capsys, checks.mlp_aug, None, *context)
    rejected(checks.mlp_aug, s["plain"], *context, says="shifted-test MSE")  # trained without shifts
    rejected(checks.mlp_aug, s["wide"], *context, says="parameters")  # a bigger model
    rejected(checks.mlp_aug, ae.conv.ConvAutoencoder((4, 4), 3, channels=(2, 2)), *context, says="parameters")
    rejected(checks.mlp_aug, s["augmented"].state_dict(), *context, says="nn.Module")  # the weights, not the model
    accepted(capsys, checks.mlp_aug, s["augmented"], *context)  # trained on all shifted copies, not random ones
