"""The exercise checks, one function per exercise: ``ae.checks.<name>(answer, ...)``.

A notebook's check cell calls one; the extra arguments are the notebook's own objects
the check compares with. How a check behaves (stub, wrong answer, right answer, the
solution's reference run) is described in :mod:`aecourse.exercises`. Each check's
docstring names its notebook and exercise; the checks of each group of notebooks live
in a module of their own.
"""

from .nb00_03 import (
    count_parameters,
    cross_validation,
    decoder_weight,
    early_stopping,
    encode_by_hand,
    lr_schedule,
    one_layer,
    pca_reconstruct,
    rmse_diabetes,
    squared_error,
    tied_autoencoder,
    val_loss_16,
)
from .nb04_06 import (
    best_k,
    centroids,
    dae_05,
    l1_tradeoff,
    mask_pixels,
    mean_rho_hat_01,
    my_sparse_kl,
    neighbour_overlap,
    packing,
    wide_copier,
)
from .nb07 import iwae_by_hand, kl_diag, score_baseline
from .nb08 import (
    mlp_aug,
    my_conv2d,
    my_conv_transpose2d,
)
from .nb09 import (
    average_precision_by_hand,
    code_knn_auc,
    tf_threshold,
)
from .nb10 import my_topk, sae_resampled, sae_weak

__all__ = [
    "average_precision_by_hand",
    "best_k",
    "centroids",
    "code_knn_auc",
    "count_parameters",
    "cross_validation",
    "dae_05",
    "decoder_weight",
    "early_stopping",
    "encode_by_hand",
    "iwae_by_hand",
    "kl_diag",
    "l1_tradeoff",
    "lr_schedule",
    "mask_pixels",
    "mean_rho_hat_01",
    "mlp_aug",
    "my_conv2d",
    "my_conv_transpose2d",
    "my_sparse_kl",
    "my_topk",
    "neighbour_overlap",
    "one_layer",
    "packing",
    "pca_reconstruct",
    "rmse_diabetes",
    "sae_resampled",
    "sae_weak",
    "score_baseline",
    "squared_error",
    "tf_threshold",
    "tied_autoencoder",
    "val_loss_16",
    "wide_copier",
]
