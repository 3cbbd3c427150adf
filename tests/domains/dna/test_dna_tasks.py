"""Generation (prefill + steps equals the parallel forward, FASTA out), variant effect on a genome,
labelled-set readers, and the classifier's RC invariance and pretrained initialisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqkit.domains.dna import DnaClassifier, DnaLM
from seqkit.domains.dna.generation import generate, write_fasta
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.labelled_sequences import read_labelled
from seqkit.domains.dna.variant_effect import read_variants, score_variants

SMALL = {"d_model": 32, "layers": "mamba2,attention",
         "mixer_options": {"mamba2": {"d_state": 8, "head_dim": 16, "chunk_size": 8}, "attention": {"n_heads": 2}}}


def _random_bases(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


@pytest.mark.parametrize("tokenizer", ["kmer", "nucleotide"])
def test_greedy_generation_follows_the_parallel_forward(tokenizer: str) -> None:
    """With top_k=1 every sampled token must be the argmax of the full forward on prompt + continuation."""
    torch.manual_seed(0)
    model = DnaLM(tokenizer=tokenizer, **SMALL).eval()
    prompts = [_random_bases(100, 1), _random_bases(100, 2), _random_bases(40, 3)]
    out = generate(model, prompts, n_bp=30, top_k=1)
    assert [len(o) for o in out] == [30, 30, 30] and all(set(o) <= set("ACGT") for o in out)
    k = model.k
    for prompt, cont in zip(prompts, out, strict=True):
        aligned = prompt[len(prompt) % k :]
        ids = torch.from_numpy(model.tokenizer.encode(aligned + cont, add_bos=True))[None]
        logits = model(ids)[0, -len(cont) // k - 1 : -1, model.first_base_id : model.first_base_id + 4**k]
        expected = model.tokenizer.decode((logits.argmax(-1) + model.first_base_id).numpy())
        assert expected == cont


def test_write_fasta(tmp_path: Path) -> None:
    path = write_fasta(tmp_path / "out.fa", [("a", "ACGT" * 30), ("b", "GG")], width=50)
    lines = path.read_text().splitlines()
    assert lines[0] == ">a" and len(lines[1]) == 50 and lines[-2:] == [">b", "GG"]


def test_variant_effect_reads_the_left_context_and_checks_ref(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = DnaLM(**SMALL).eval()
    seq = _random_bases(3000, 4)
    genome = Genome(sequences={"chr1": seq})
    variants = pd.DataFrame({"chrom": ["chr1"] * 3, "pos": [2001, 1500, 7], "ref": [seq[2000], seq[1499], seq[6]],
                             "alt": ["A" if seq[2000] != "A" else "C", "G" if seq[1499] != "G" else "T",
                                     "T" if seq[6] != "T" else "A"]})
    path = tmp_path / "variants.csv"
    variants.to_csv(path, index=False)
    scored = score_variants(model, genome, read_variants(str(path), genome), context_bp=600)
    # score = log p(ref) - log p(alt) from the next-base marginal after the left context alone
    row = scored.iloc[0]
    context = seq[2000 - 600 : 2000]
    ids = torch.from_numpy(model.tokenizer.encode(context, add_bos=True))[None]
    with torch.no_grad():
        log_p = model.next_base_log_probs(ids)[0]
    assert row.score == pytest.approx(float(log_p["ACGT".index(row.ref)] - log_p["ACGT".index(row.alt)]), abs=1e-5)
    assert np.isfinite(scored["score"]).all()
    variants.loc[1, "ref"] = "ACGT"[("ACGT".index(seq[1499]) + 1) % 4]
    variants.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"row 3: ref .* does not match the genome's .* at chr1:1500"):
        read_variants(str(path), genome)


def test_labelled_readers_and_errors(tmp_path: Path) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text("sequence,label,split\nACGTAC,1,train\nacgtnn,0,val\n")
    data = read_labelled(csv)
    assert data.labels.tolist() == [1, 0] and data.splits.tolist() == ["train", "val"]
    assert data.sequences[1].tobytes() == b"ACGTNN"
    csv.write_text("sequence,label\nACGTAC,1\nACXT,0\n")
    with pytest.raises(ValueError, match=r"row 3: character 'X'"):
        read_labelled(csv)
    fasta, labels = tmp_path / "s.fa", tmp_path / "labels.csv"
    fasta.write_text(">r1\nACGT\n>r2\nGGCC\n")
    labels.write_text("id,label\nr2,0.5\nr1,1.5\n")
    data = read_labelled(fasta, labels)
    assert data.names == ["r2", "r1"] and data.labels.dtype == np.float32
    labels.write_text("id,label\nr3,1\n")
    with pytest.raises(ValueError, match="'r3' has no record"):
        read_labelled(fasta, labels)


def test_classifier_is_rc_invariant_and_starts_from_a_pretrained_lm(tmp_path: Path) -> None:
    torch.manual_seed(0)
    lm = DnaLM(**SMALL)
    ckpt = tmp_path / "lm.ckpt"
    torch.save({"state_dict": lm.state_dict(), "hyper_parameters": dict(lm.hparams),
                "pytorch-lightning_version": "2.4.0"}, ckpt)
    clf = DnaClassifier(pretrained=str(ckpt), num_classes=2, d_model=999).eval()  # architecture from the checkpoint
    assert clf.hparams.d_model == 32 and clf.hparams.pretrained_from == str(ckpt)
    torch.testing.assert_close(clf.embed.weight, lm.embed.weight)
    for (name, got), (_, want) in zip(clf.backbone.state_dict().items(), lm.backbone.state_dict().items(), strict=True):
        torch.testing.assert_close(got, want, msg=name)
    from seqkit.domains.dna.classification_data import LabelledDataModule

    data = LabelledDataModule()
    data.encoder = clf.tokenizer
    batch = data.collate([(np.frombuffer(_random_bases(50, s).encode(), np.uint8), s % 2) for s in range(4)])
    swapped = {"tokens": batch["tokens_rc"], "lengths": batch["lengths_rc"], "tokens_rc": batch["tokens"],
               "lengths_rc": batch["lengths"]}
    torch.testing.assert_close(clf.predict_logits(batch), clf.predict_logits(swapped))
    with pytest.raises(ValueError, match="trained with tokenizer='kmer'"):
        DnaClassifier(pretrained=str(ckpt), tokenizer="nucleotide")


def test_classifier_predict_writes_probabilities_once(tmp_path: Path) -> None:
    import lightning as L

    from seqkit.callbacks import PredictionWriter
    from seqkit.domains.dna.classification_data import LabelledDataModule

    rows = [(_random_bases(60 + i, i), i % 2, "val" if i < 10 else "train") for i in range(30)]
    pd.DataFrame(rows, columns=["sequence", "label", "split"]).to_csv(tmp_path / "set.csv", index=False)
    data = LabelledDataModule(path=str(tmp_path / "set.csv"), batch_size=4)
    clf = DnaClassifier(num_classes=2, **SMALL)
    writer = PredictionWriter(str(tmp_path / "pred"))
    trainer = L.Trainer(accelerator="cpu", logger=False, callbacks=[writer], enable_progress_bar=False)
    trainer.predict(clf, datamodule=data, return_predictions=False)
    files = sorted((tmp_path / "pred").glob("*.csv"))
    table = pd.concat(pd.read_csv(f) for f in files)
    assert len(files) == 3 and len(table) == 10 and sorted(table["index"]) == list(range(10))
    probs = np.array([list(map(float, p.split())) for p in table["probabilities"]])
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    stamp = files[0].stat().st_mtime_ns
    trainer.predict(clf, datamodule=data, return_predictions=False)  # a rerun skips what is on disk
    assert files[0].stat().st_mtime_ns == stamp
    (tmp_path / "new.fa").write_text(">x\nACGTACGTAAGG\n>y\nTTTTGGGGCCCAAA\n")  # unlabelled input
    data = LabelledDataModule(path=str(tmp_path / "set.csv"), batch_size=4, predict_path=str(tmp_path / "new.fa"))
    out = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False).predict(clf, datamodule=data)
    assert out[0]["probabilities"].shape == (2, 2) and out[0]["label"].tolist() == [-1, -1]
