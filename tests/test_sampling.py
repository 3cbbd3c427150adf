"""Temperature, top-k and nucleus filtering of logits."""

from __future__ import annotations

import pytest
import torch

from seqkit.sampling import filter_logits


def test_filters_keep_top_k_and_the_nucleus() -> None:
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isfinite(filter_logits(logits, top_k=2)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.7)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.1)).tolist() == [[True, False, False, False]]
    with pytest.raises(ValueError, match="temperature"):
        filter_logits(logits, temperature=0)
