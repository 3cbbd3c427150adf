"""Synthetic long-range tasks (selective copying, MQAR, passkey) to train and compare backbones."""

from seqkit.domains.synthetic.data import SyntheticDataModule
from seqkit.domains.synthetic.model import SyntheticLM

__all__ = ["SyntheticDataModule", "SyntheticLM"]
