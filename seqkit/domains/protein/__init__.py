"""Protein-family head: PoET (sequences-of-sequences), variant scoring, family-conditioned generation."""

from seqkit.domains.protein.data import ProteinFamilyDataModule
from seqkit.domains.protein.model import ProteinLM

__all__ = ["ProteinFamilyDataModule", "ProteinLM"]
