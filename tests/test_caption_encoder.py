"""The shared caption tokenizer, vocabulary and encoder."""

from __future__ import annotations

import torch

from seqkit.caption_encoder import CaptionEncoder, CaptionVocabulary, tokenize_caption


def test_tokenizer_lowercases_and_splits_punctuation() -> None:
    assert tokenize_caption("A Man walks forward, then TURNS left.") == [
        "a", "man", "walks", "forward", ",", "then", "turns", "left", "."]
    assert tokenize_caption("the person\u2019s t-pose (90 degrees)!") == [
        "the", "person's", "t", "-", "pose", "(", "90", "degrees", ")", "!"]
    assert tokenize_caption("  \n") == []


def test_vocabulary_and_encoder_shapes() -> None:
    vocab = CaptionVocabulary.build(["a red circle", "a blue square moving left"])
    ids = vocab.batch(["a red square", "an unknown word"])
    assert ids.shape == (2, 4) and ids[0, 0] == 2 and ids[1, 1] == 1  # summary token, then unknown words
    assert CaptionVocabulary(**vocab.to_plain()).words == vocab.words
    out = CaptionEncoder(len(vocab), d_model=32)(ids)
    assert out.shape == (2, 32)
    # padding does not change a caption's embedding
    enc = CaptionEncoder(len(vocab), d_model=32).eval()
    one = enc(vocab.batch(["a red square"]))
    padded = enc(torch.cat([vocab.batch(["a red square"]), torch.zeros(1, 3, dtype=torch.long)], dim=1))
    torch.testing.assert_close(one, padded, atol=1e-5, rtol=1e-5)
