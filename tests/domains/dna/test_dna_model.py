"""Base-pair marginals, the two losses, what is scored, and a short fit on the synthetic genome."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from seqkit.domains.dna import DnaLM
from seqkit.domains.dna.base_marginals import base_log_marginals, base_marginal_nll
from seqkit.domains.dna.cli import main
from seqkit.domains.dna.kmer_tokenizer import KmerTokenizer

SMALL = {"d_model": 32, "layers": "mamba2*2", "mixer_options": {"mamba2": {"d_state": 8, "head_dim": 16}}}


def test_marginals_equal_brute_force_sums() -> None:
    tok = KmerTokenizer(k=3)
    log_p = torch.log_softmax(torch.randn(5, 64, dtype=torch.double), -1)
    bases = torch.from_numpy(tok.token_bases())
    expected = torch.zeros(5, 3, 4, dtype=torch.double)
    for i in range(64):
        for j in range(3):
            expected[:, j, bases[i, j]] += log_p[:, i].exp()
    torch.testing.assert_close(base_log_marginals(log_p, bases).exp(), expected)


def test_base_loss_equals_kmer_loss_for_a_factorised_distribution() -> None:
    """If p(k-mer) = Π_j p_j(base_j), the k-mer NLL is the sum over offsets of the base NLLs = k × the base loss."""
    tok = KmerTokenizer(k=3)
    per_offset = torch.softmax(torch.randn(3, 4, dtype=torch.double), -1)  # (k, 4) over A C G T
    bases = torch.from_numpy(tok.token_bases())  # (64, 3)
    log_p = sum(per_offset[j, bases[:, j]].log() for j in range(3))  # (64,)
    target = torch.tensor(17)
    base_nll = base_marginal_nll(log_p[None], bases[target][None], bases)
    torch.testing.assert_close(base_nll * 3, -log_p[target][None])


def test_oov_and_special_targets_are_not_scored() -> None:
    torch.manual_seed(0)
    model = DnaLM(**SMALL)
    tokens = torch.randint(32, 4128, (2, 12))
    tokens[0, 5] = model.tokenizer.oov_id
    _, _, scored, _ = model._losses(tokens)
    assert not scored[0, 4] and scored.sum() == 2 * 11 - 1
    base = DnaLM(**SMALL, loss="base")
    base.load_state_dict(model.state_dict())
    kmer_loss, _, _, _ = model._losses(tokens)
    base_loss, _, _, _ = base._losses(tokens)
    # each offset's marginal holds at least the k-mer's own mass: mean base NLL <= k-mer NLL
    assert (base_loss / 6 <= kmer_loss + 1e-5).all()  # base_loss is k x the mean base NLL


def test_short_fit_on_the_synthetic_genome_beats_uniform(tmp_path: Path) -> None:
    """80 small steps learn some codon and composition statistics: held-out perplexity per base drops below 4."""
    cli = main(["fit", "--trainer.max_epochs=1", f"--trainer.default_root_dir={tmp_path}",
                "--trainer.enable_progress_bar=false", "--model.init_args.d_model=48",
                "--model.init_args.layers=mamba2*2", "--model.init_args.lr=0.005",
                "--model.init_args.mixer_options={mamba2: {d_state: 8, head_dim: 16}}",
                "--data.init_args.synthetic_length_bp=120000", "--data.init_args.lengths_bp=[384, 768]",
                "--data.init_args.bp_per_batch=6144", "--data.init_args.steps_per_epoch=80",
                "--data.init_args.eval_window_bp=768", "--data.init_args.block_bp=10000",
                "--data.init_args.eval_max_windows=8"], run=True)
    ppl = float(cli.trainer.callback_metrics["val_ppl_base"])
    assert ppl < 3.975 and math.isfinite(ppl)  # uniform is 4; the untrained model ~4.03
    ckpt = next(Path(tmp_path).rglob("*.ckpt"))
    loaded = DnaLM.load_from_checkpoint(ckpt, weights_only=True)
    assert loaded.hparams.tokenizer == "kmer" and loaded.k == 6
