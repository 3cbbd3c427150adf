"""DNA head: GENERator-style 6-mer causal LM on seqkit backbones (generation, classification, variant effect).

The classes are imported on first use, so that ``seqkit-dna --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "LabelledDataModule": "seqkit.domains.dna.classification_data",
    "DnaClassifier": "seqkit.domains.dna.classifier",
    "GenomeDataModule": "seqkit.domains.dna.data",
    "DnaLM": "seqkit.domains.dna.model",
})
