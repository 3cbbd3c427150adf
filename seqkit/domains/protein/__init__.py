"""Protein-family head: PoET (sequences-of-sequences), variant scoring, family-conditioned generation.

The classes are imported on first use, so that ``seqkit-protein --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "CrossFamilyDataModule": "seqkit.domains.protein.cross_family_data",
    "ProteinFamilyDataModule": "seqkit.domains.protein.data",
    "ProteinLM": "seqkit.domains.protein.model",
})
