"""DNA head: GENERator-style 6-mer causal LM on seqkit backbones (generation, classification, variant effect)."""

from seqkit.domains.dna.classification_data import LabelledDataModule
from seqkit.domains.dna.classifier import DnaClassifier
from seqkit.domains.dna.data import GenomeDataModule
from seqkit.domains.dna.model import DnaLM

__all__ = ["DnaClassifier", "DnaLM", "GenomeDataModule", "LabelledDataModule"]
