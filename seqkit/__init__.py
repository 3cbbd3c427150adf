"""seqkit: long-sequence models (SSM and sparse-attention backbones) across domains, trained through Lightning.

``seqkit.load(path)`` returns a trained model from a checkpoint or an export folder; ``seqkit.export``
writes one. Both import torch only when called.
"""

from __future__ import annotations

from typing import Any


def load(path: Any, device: Any = "cpu", model_class: type | None = None) -> Any:
    """The trained model at ``path`` (a ``.ckpt`` or an ``export`` folder), in eval mode on ``device``."""
    from seqkit.model_files import load as _load

    return _load(path, device, model_class)


def export(checkpoint: Any, output_dir: Any, model_class: type | None = None) -> Any:
    """Write the checkpoint's weights (safetensors) and config (JSON) into ``output_dir``."""
    from seqkit.model_files import export as _export

    return _export(checkpoint, output_dir, model_class)
