"""Long-text image head: a binary tokenizer for text-heavy images and an autoregressive generator over its tokens.

Seeded pages of public-domain text (or a user's captioned images), a convolutional autoencoder whose quantiser
is binary (lookup-free sign bits, LFQ or BSQ) or a VQ codebook with as many codes, and a generator from the text
to render to the image tokens on any seqkit backbone; legibility measured by OCR. The classes are imported on
first use, so that ``seqkit-textimage --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "TextImageDataModule": "seqkit.domains.textimage.data",
    "TextImageTokenizer": "seqkit.domains.textimage.tokenizer_module",
    "TextImageGenerator": "seqkit.domains.textimage.generator_module",
    "PageRenderer": "seqkit.domains.textimage.render",
})
