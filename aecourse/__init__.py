"""aecourse: the companion package of the autoencoder course, what its notebooks import.

Each notebook builds a concept by hand once, then uses the version here. Use it as
``import aecourse as ae``. Importing it is quick (scikit-learn, matplotlib and umap
load when first used) and changes no global state: seeding, device and thread
settings happen only when a notebook calls them.

Modules, each one job:

- ``runtime``: seeds (shifted by ``AECOURSE_SEED_OFFSET``), device choice, versions,
  the UMAP set-up (every setup cell; notebook 00)
- ``models``: MLP builder, bottleneck network, the autoencoder built on it (01, 02)
- ``losses``: reconstruction and sparsity terms, training objectives (02, 05, 06)
- ``data``: datasets, splits, loaders, on-disk streaming, noise (notebook 03);
  ``idx``: MNIST-format files, read and downloaded
- ``train``: the one training loop, its history, checkpoints (notebook 03);
  ``metrics``: evaluation and metrics (also ``ae.train.<name>``)
- ``viz``: latent scatter plots (PCA, t-SNE, UMAP), image grids, loss curves (04)
- ``explore``: notebook 04's knob sweeps, sliders and decoded grids
- ``sae``: toy data in superposition, the sparse autoencoder (L1, TopK) and its measures (10)
- ``anomaly``: anomaly scores and baselines, a threshold from normal data, per-class precision and
  recall, retrieval by nearest codes (09)
- ``vae``: the variational autoencoder, its ELBO, KL and importance-sampled bound (07)
- ``conv``: the convolutional autoencoder, image shifts, parameter and multiply-add counts (08)
- ``exercises``: how an exercise check behaves; ``checks``: the checks of notebooks 00-06

The course tooling (executing notebooks, the student and HTML editions, the
benchmark) is not part of this package: it is ``tools/`` in the repository,
``python -m tools ...``.
"""

from . import (
    anomaly,  # notebook 09
    checks,
    conv,
    data,
    exercises,
    explore,
    idx,
    losses,
    metrics,
    models,
    runtime,
    sae,  # notebook 10
    train,
    vae,
    viz,
)
from .data import (
    DiskDataset,
    ImageData,
    Split,
    add_gaussian_noise,
    load_dataset,
    make_loader,
    make_loaders,
    save_arrays,
    split_data,
)
from .losses import kl_sparsity, l1_sparsity, reconstruction_loss
from .models import Autoencoder, BottleneckNet, mlp
from .runtime import generator, get_device, print_versions, rng, seed, set_seed
from .train import History, encode, evaluate, fit, load_checkpoint, predict, save_checkpoint
from .vae import VAE
from .viz import plot_history, plot_image_rows, plot_images, plot_latent, project_2d

__version__ = "0.1.0"

__all__ = [
    "anomaly",
    "data",
    "checks",
    "conv",
    "exercises",
    "explore",
    "idx",
    "losses",
    "metrics",
    "models",
    "runtime",
    "sae",
    "train",
    "viz",
    "vae",
    "VAE",
    "DiskDataset",
    "ImageData",
    "Split",
    "add_gaussian_noise",
    "load_dataset",
    "make_loader",
    "make_loaders",
    "save_arrays",
    "split_data",
    "kl_sparsity",
    "l1_sparsity",
    "reconstruction_loss",
    "Autoencoder",
    "BottleneckNet",
    "mlp",
    "generator",
    "get_device",
    "print_versions",
    "rng",
    "seed",
    "set_seed",
    "History",
    "encode",
    "evaluate",
    "fit",
    "load_checkpoint",
    "predict",
    "save_checkpoint",
    "plot_history",
    "plot_image_rows",
    "plot_images",
    "plot_latent",
    "project_2d",
]
