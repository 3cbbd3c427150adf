"""Synthetic long-range tasks (selective copying, MQAR, passkey) to train and compare backbones.

The classes are imported on first use, so that ``seqkit-synthetic --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "SyntheticDataModule": "seqkit.domains.synthetic.data",
    "SyntheticLM": "seqkit.domains.synthetic.model",
})
