"""PoET across families: one model trained on many families, scoring families it never saw.

What (each a section of ``results/protein.md``; every trained run keeps a JSON under
``results/protein_cross_family/`` and the tables are rebuilt from them, so runs may come from several sessions):

1. ``mixers``: training tokens/s (forward + backward + AdamW) and peak memory of the cross-family model for
   each between-sequence mixer (attention, sliding window, Mamba-2) on one 8k- and one 32k-token context of
   balifam homologs; a fresh process per point, same run.
2. ``families``: the shipped ``cross_family.yaml`` trained on the first 10, 25 and 50 training families of
   balifam1000 (``--data.init_args.max_train_families``), the same steps each; the perplexity of a held-out
   family member (6 families held out whole) given prompts of 0 (the member alone) to 8k tokens.
3. ``zero_shot``: for BLAT_ECOLX and PTEN_HUMAN, DMS Spearman of the 50-family model zero-shot (its MSA's
   homologs as the prompt), of that model fine-tuned on the family's MSA (``--model.init_args.pretrained``),
   of the per-family model trained from scratch (the same network) on as many tokens as pre-training and
   fine-tuning together (so the same compute), and of the site-independent baseline; with the identity
   of the nearest training sequence to the query (unseen below 30 %).

    SEQKIT_SHARED_DATA=../shared/data python benchmarks/protein_cross_family.py --sections mixers
    SEQKIT_SHARED_DATA=../shared/data python benchmarks/protein_cross_family.py --sections families --families 50
    SEQKIT_SHARED_DATA=../shared/data python benchmarks/protein_cross_family.py --sections zero_shot \
        --assays BLAT_ECOLX --methods zero_shot fine_tuned
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import provenance  # benchmarks/provenance.py
import torch
from console_fit import fit_stage  # benchmarks/console_fit.py
from report_sections import replace_section  # benchmarks/report_sections.py
from timed_steps import time_steps  # benchmarks/timed_steps.py

from seqkit.atomic_io import atomic_write

REPORT = Path(__file__).resolve().parent / "results" / "protein.md"
RECORDS = REPORT.parent / "protein_cross_family"  # one JSON per trained run / scored model
COMMAND = "seqkit.domains.protein.cli"
CORPUS = "protein/balifam/balifam1000"
MIXERS = {"attention": {}, "window": {"window": 1024}, "mamba2": {}}
PROMPT_LENGTHS = (0, 256, 1024, 2048, 4096, 8192)
VAL_EVERY = 250
_CODE = ("benchmarks/protein_cross_family.py", "benchmarks/console_fit.py", "seqkit/domains/protein",
         "seqkit/pipelines/protein_scoring.py", "seqkit/mixers", "seqkit/kernels", "seqkit/data", "seqkit/optim.py",
         "seqkit/cli.py", "seqkit/callbacks.py")
MEASURES = {"mixers": ("benchmarks/protein_cross_family.py", "benchmarks/timed_steps.py",
                       "seqkit/domains/protein/poet.py",
                       "seqkit/domains/protein/cross_family_data.py", "seqkit/domains/protein/family_corpus.py",
                       "seqkit/domains/protein/prompt.py", "seqkit/mixers", "seqkit/kernels"),
            "families": _CODE, "zero_shot": (*_CODE, "benchmarks/protein.py")}


def _shipped(name: str) -> dict:
    from importlib import resources

    import yaml

    return yaml.safe_load(resources.files("seqkit.domains.protein").joinpath(f"configs/{name}.yaml").read_text())


def _tokens_per_step(config: str) -> int:
    data = _shipped(config)["data"]["init_args"]
    return data["batch_size"] * data["context_tokens"]


def _save(name: str, record: dict) -> None:
    RECORDS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=1)
    atomic_write(RECORDS / f"{name}.json", lambda fh: fh.write(text.encode()))


def _records(prefix: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(RECORDS.glob(f"{prefix}*.json"))]


# ---------------------------------------------------------------- 1. mixers
def _one_mixer_point(between: str, context: int, threads: int, steps: int) -> dict:
    """In a fresh process: one training step's tokens/s and peak RSS on a ``context``-token balifam example."""
    from seqkit.data import pack_sequences, resolve_data_path
    from seqkit.domains.protein.alphabet import wrap
    from seqkit.domains.protein.family_corpus import FamilyCache, family_files
    from seqkit.domains.protein.poet import PoET

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model_args = _shipped("cross_family")["model"]["init_args"]
    sampler = FamilyCache()(family_files([resolve_data_path(CORPUS)])[0])
    members = sampler.draw(np.random.default_rng(0), context)
    tokens, seg, pos = pack_sequences([wrap(sampler.msa.raw[i]) for i in members])
    batch = [torch.from_numpy(a[:context].astype(np.int64))[None] for a in (tokens, seg, pos)]  # (1, context)
    model = PoET(model_args["d_model"], model_args["n_layers"], model_args["n_heads"], between, MIXERS[between])
    optimiser = torch.optim.AdamW(model.parameters(), 1e-4)

    def step() -> None:
        logits = model(batch[0][:, :-1], batch[1][:, :-1], batch[2][:, :-1])  # (1, L-1, V)
        loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), batch[0][:, 1:])
        loss.backward()
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)

    seconds, peak_mib = time_steps(step, steps)
    return {"tokens_per_second": context / seconds, "seconds_per_step": seconds, "peak_mib": peak_mib,
            "homologs": len(members),
            "parameters": sum(p.numel() for p in model.parameters())}


def section_mixers(threads: int, steps: int, contexts: list[int]) -> tuple[str, dict]:
    rows: dict[str, dict] = {}
    for between in MIXERS:
        rows[between] = {}
        for context in contexts:
            arg = json.dumps({"between": between, "context": context, "threads": threads, "steps": steps})
            out = subprocess.run([sys.executable, __file__, "--one", arg], capture_output=True, text=True, check=True)
            rows[between][str(context)] = json.loads(out.stdout.strip().splitlines()[-1])
            print(between, context, rows[between][str(context)], flush=True)
    m = _shipped("cross_family")["model"]["init_args"]
    lines = ["## Cross-family training cost per between-sequence mixer", "",
             f"PoET as `cross_family.yaml` builds it (d_model {m['d_model']}, {m['n_layers']} layers, {m['n_heads']} "
             f"heads; within-sequence attention in every case) on one packed context of balifam1000 homologs "
             f"(batch 1), forward + backward + AdamW, mean of {steps} steps after a warm-up step; a fresh process per "
             "point; peak = RSS high-water mark above the RSS before the timed steps. Window: "
             f"{MIXERS['window']['window']} tokens (about four homologs); Mamba-2: the mixer's defaults.", "",
             "| between mixer | " + " | ".join(f"{c // 1024}k tokens: tokens/s | peak MiB" for c in contexts) +
             f" | {contexts[-1] // 1024}k vs {contexts[0] // 1024}k tokens/s |",
             "|---|" + "---|---|" * len(contexts) + "---|"]
    for between, r in rows.items():
        cells = " | ".join(f"{r[str(c)]['tokens_per_second']:.0f} | {r[str(c)]['peak_mib']:.0f}" for c in contexts)
        ratio = r[str(contexts[-1])]["tokens_per_second"] / r[str(contexts[0])]["tokens_per_second"]
        lines.append(f"| {between} | {cells} | {ratio:.2f} |")
    return "\n".join(lines), {"rows": rows, "steps": steps}


# ---------------------------------------------------------------- 2. families
@torch.no_grad()
def held_out_perplexity(module, dm, lengths: tuple[int, ...] = PROMPT_LENGTHS) -> dict[str, float]:
    """exp(mean per-token NLL) of held-out members of held-out families, per prompt budget (0 = the member alone),
    with the training loss of ``module`` (a ``ProteinLM``).

    The members are the same at every budget, and a longer prompt's homologs include a shorter one's (the same
    seeded weighted order, cut later)."""
    from seqkit.domains.protein.data import collate

    module.eval()
    out = {}
    for length in lengths:
        held = dm.held_out(context_tokens=length)
        total, count = 0.0, 0
        for i in range(len(held)):
            batch = collate([held[i]])
            n = int(batch["loss_mask"][:, 1:].sum())  # the member's scored tokens
            total += float(module._loss(batch)) * n
            count += n
        out[str(length)] = math.exp(total / count)
        print(f"prompt {length}: perplexity {out[str(length)]:.3f}", flush=True)
    return out


def _cross_family_architecture() -> list[str]:
    """Overrides giving an assay config the cross-family model's architecture (between mixer included), so the
    per-family model from scratch is the same network as the pre-trained one, at the same cost per token."""
    keys = ("d_model", "n_layers", "n_heads", "between", "between_options", "set_mode")
    model = _shipped("cross_family")["model"]["init_args"]
    return [f"--model.init_args.{k}={json.dumps(model[k])}" for k in keys if k in model]


def _cross_family_run(root: Path, n_families: int, steps: int, threads: int) -> tuple[Path, dict]:
    run = fit_stage(COMMAND, "cross_family", root / f"families{n_families}", steps, threads, VAL_EVERY,
                    [f"--data.init_args.max_train_families={n_families}"])
    return root / f"families{n_families}" / "cross_family" / "checkpoints" / "last.ckpt", run


def section_families(root: Path, families: list[int], steps: int, threads: int) -> tuple[str, dict]:
    from seqkit.domains.protein.cross_family_data import CrossFamilyDataModule
    from seqkit.pipelines.protein_scoring import load_model

    torch.set_num_threads(threads)
    data_args = _shipped("cross_family")["data"]["init_args"]
    for n in families:
        ckpt, run = _cross_family_run(root, n, steps, threads)
        dm = CrossFamilyDataModule(**{**data_args, "max_train_families": n, "val_per_family": 16})
        _save(f"families_{n:03d}", {"families": n, "train_families": dm.train_families,
                                    "val_families": dm.val_families, "val_per_family": dm.hparams.val_per_family,
                                    "steps": steps, "run": run,
                                    "perplexity": held_out_perplexity(load_model(str(ckpt)), dm),
                                    "provenance": provenance.collect(MEASURES["families"])})
    return families_table()


def families_table() -> str:
    records = _records("families_")
    if not records:
        return "## Held-out families: perplexity against training families and prompt length\n\n(no runs yet)"
    r0 = records[0]
    lines = ["## Held-out families: perplexity against training families and prompt length", "",
             f"`cross_family.yaml` trained on the first N training families of balifam1000 (1,004–1,142 Pfam homologs "
             f"each), {r0['steps']} steps each; {len(r0['val_families'])} families held out whole "
             f"({', '.join(r0['val_families'])}), {r0['val_per_family']} members of each scored after prompts of "
             "its other members of "
             "up to the given number of tokens (0: the member alone). Perplexity per residue (and stop); lower is "
             "better; 20 would be a uniform guess over the amino acids.", "",
             "| training families | train min | " + " | ".join(f"prompt {n}" for n in PROMPT_LENGTHS) + " |",
             "|---|---|" + "---|" * len(PROMPT_LENGTHS)]
    for r in records:
        cells = " | ".join(f"{r['perplexity'][str(n)]:.2f}" for n in PROMPT_LENGTHS)
        lines.append(f"| {r['families']} | {r['run']['fit_seconds'] / 60:.0f} | {cells} |")
    lines += ["", "Each row comes from its JSON under `results/protein_cross_family/`, which keeps the provenance of "
              "the run that measured it."]
    return "\n".join(lines)


# ---------------------------------------------------------------- 3. zero-shot
def _score(checkpoint: Path, assay: str, budgets: list[int], cutoffs: list[float], batch_size: int) -> dict:
    from protein import ASSAYS  # benchmarks/protein.py
    from scipy.stats import spearmanr

    from seqkit.data import resolve_data_path
    from seqkit.domains.protein.msa import read_msa, read_sequences
    from seqkit.domains.protein.prompt import HomologSampler
    from seqkit.domains.protein.scoring import ensemble, score_sequences
    from seqkit.domains.protein.variants import read_variants
    from seqkit.pipelines.protein_scoring import load_model

    msa_path, dms_path, wt_path = ASSAYS[assay]
    msa = read_msa(resolve_data_path(msa_path))
    wt = read_sequences(resolve_data_path(wt_path))[0][1] if wt_path else msa.query
    msa.check_query(wt)
    variants = read_variants(resolve_data_path(dms_path), wild_type=wt)
    start = time.perf_counter()
    scores = score_sequences(load_model(str(checkpoint)).model, HomologSampler(msa), variants.sequences,
                             ensemble(budgets, cutoffs), batch_size=batch_size, show_progress=True)
    rho = spearmanr(scores, variants.dms_score, nan_policy="omit").statistic
    return {"spearman": round(float(rho), 4), "variants": len(variants), "score_seconds": round(time.perf_counter()
                                                                                              - start)}


def section_zero_shot(root: Path, assays: list[str], methods: list[str], pretrain_steps: int, finetune_steps: int,
                      threads: int, budgets: list[int], cutoffs: list[float], batch_size: int) -> tuple[str, dict]:
    from protein import ASSAYS, conservation_scores  # benchmarks/protein.py
    from scipy.stats import spearmanr

    from seqkit.data import resolve_data_path
    from seqkit.domains.protein.cross_family_data import CrossFamilyDataModule
    from seqkit.domains.protein.msa import read_msa
    from seqkit.domains.protein.nearest_homolog import nearest_training_sequence
    from seqkit.domains.protein.variants import read_variants

    torch.set_num_threads(threads)
    ensemble_text = (f"budgets {budgets} × identity cutoffs {cutoffs}, forward and reverse "
                     f"({2 * len(budgets) * len(cutoffs)} prompt passes)")
    pretrained, pretrain_run = None, None
    if {"zero_shot", "fine_tuned"} & set(methods):  # the other methods need no pre-trained model
        pretrained, pretrain_run = _cross_family_run(root, 50, pretrain_steps, threads)
    dm = CrossFamilyDataModule(**{**_shipped("cross_family")["data"]["init_args"], "max_train_families": 50})
    for assay in assays:
        config = assay.lower()
        msa_path, dms_path, _ = ASSAYS[assay]
        if "nearest" in methods:
            query = read_msa(resolve_data_path(msa_path)).query
            hit = nearest_training_sequence(query, dm.train_files)
            _save(f"zero_shot_{assay}_nearest", {"assay": assay, "method": "nearest", "nearest": hit.__dict__,
                                                  "provenance": provenance.collect(MEASURES["zero_shot"])})
        for method in methods:
            record = {"assay": assay, "method": method, "ensemble": ensemble_text}
            if method == "zero_shot":
                record |= _score(pretrained, assay, budgets, cutoffs, batch_size) | {"run": pretrain_run,
                                                                                     "steps": pretrain_steps}
            elif method == "fine_tuned":
                run = fit_stage(COMMAND, config, root / f"finetuned_{config}", finetune_steps, threads, VAL_EVERY,
                                [f"--model.init_args.pretrained={pretrained}"])
                ckpt = root / f"finetuned_{config}" / config / "checkpoints" / "last.ckpt"
                record |= _score(ckpt, assay, budgets, cutoffs, batch_size) | {"run": run, "steps": finetune_steps,
                                                                               "pretrain_run": pretrain_run}
            elif method == "scratch":  # as many training tokens as pre-training and fine-tuning together
                steps = round(pretrain_steps * _tokens_per_step("cross_family") / _tokens_per_step(config)) + \
                    finetune_steps
                run = fit_stage(COMMAND, config, root / f"scratch_{config}", steps, threads, VAL_EVERY,
                                _cross_family_architecture())
                ckpt = root / f"scratch_{config}" / config / "checkpoints" / "last.ckpt"
                record |= _score(ckpt, assay, budgets, cutoffs, batch_size) | {"run": run, "steps": steps}
            elif method == "site_independent":
                variants = read_variants(resolve_data_path(dms_path),
                                         wild_type=read_msa(resolve_data_path(msa_path)).query)
                base = conservation_scores(msa_path, variants.names)
                record |= {"spearman": round(float(spearmanr(base, variants.dms_score).statistic), 4),
                           "variants": len(variants)}
            else:
                continue
            record["provenance"] = provenance.collect(MEASURES["zero_shot"])
            _save(f"zero_shot_{assay}_{method}", record)
            print(record, flush=True)
    return zero_shot_table()


_METHOD_NAMES = {"zero_shot": "cross-family, zero-shot", "fine_tuned": "cross-family, fine-tuned on the family",
                 "scratch": "per-family, from scratch (same compute)", "site_independent": "site-independent baseline"}


def zero_shot_table() -> str:
    records = {(r["assay"], r["method"]): r for r in _records("zero_shot_")}
    lines = ["## Unseen families: zero-shot, fine-tuned and per-family PoET", "",
             "The cross-family model is `cross_family.yaml` trained on 50 balifam1000 families (none a "
             "beta-lactamase or a PTEN domain); zero-shot it scores the assay with prompts from the assay's MSA. "
             "Fine-tuned: that checkpoint trained further on the assay's MSA with the assay's shipped config "
             "(`--model.init_args.pretrained`). From scratch: the assay's config with the cross-family model's "
             "architecture (between-sequence mixer included), trained on as many tokens as pre-training and "
             "fine-tuning together: the same network, so the same compute. "
             "Site-independent: sequence-weighted column frequencies of the same MSA.", "",
             "| assay | model | steps | train min | DMS Spearman | ensemble |", "|---|---|---|---|---|---|"]
    for assay in ("BLAT_ECOLX", "PTEN_HUMAN"):
        for method, name in _METHOD_NAMES.items():
            r = records.get((assay, method))
            if r is None:
                continue
            minutes = "–" if "run" not in r else f"{r['run']['fit_seconds'] / 60:.0f}"
            lines.append(f"| {assay} | {name} | {r.get('steps', '–')} | {minutes} | **{r['spearman']:.3f}** | "
                         f"{r.get('ensemble', '–')} |")
    nearest = [r for (_, m), r in records.items() if m == "nearest"]
    if nearest:
        lines += ["", "Nearest training sequence to each query (3-mer prefilter, then Smith-Waterman with BLOSUM62; "
                  "identity = identical residues / the shorter length; unseen below 30 %):", ""]
        for r in nearest:
            h = r["nearest"]
            lines.append(f"- {r['assay']}: {100 * h['identity']:.1f} % ({h['identical']} identical residues over "
                         f"{h['aligned']} aligned columns), `{h['record']}` of {h['family']}, among {h['searched']:,} "
                         "training sequences")
    lines += ["", "Each row comes from its JSON under `results/protein_cross_family/`, which keeps the provenance of "
              "the run that measured it."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=["mixers", "families", "zero_shot"], required=False,
                        default=["mixers"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=Path, default=Path("runs/protein_cross_family"))
    parser.add_argument("--mixer-steps", type=int, default=2)
    parser.add_argument("--contexts", type=int, nargs="+", default=[8192, 32768])
    parser.add_argument("--families", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--pretrain-steps", type=int, default=None, help="default: cross_family.yaml's max_steps")
    parser.add_argument("--finetune-steps", type=int, default=500)
    parser.add_argument("--assays", nargs="+", default=["BLAT_ECOLX", "PTEN_HUMAN"])
    parser.add_argument("--methods", nargs="+", default=["nearest", "site_independent", "zero_shot", "fine_tuned",
                                                         "scratch"])
    parser.add_argument("--max-tokens", type=int, nargs="+", default=[3072])
    parser.add_argument("--max-similarity", type=float, nargs="+", default=[1.0, 0.9, 0.7])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--table-only", action="store_true", help="rebuild the sections' tables from the JSON kept")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(_one_mixer_point(spec["between"], spec["context"], spec["threads"], spec["steps"])))
        return
    steps = args.pretrain_steps or _shipped("cross_family")["trainer"]["max_steps"]
    for section in args.sections:
        figures = None
        if section == "mixers":
            text, figures = section_mixers(args.threads, args.mixer_steps, args.contexts)
        elif args.table_only:
            text = families_table() if section == "families" else zero_shot_table()
        elif section == "families":
            text = section_families(args.runs, args.families, steps, args.threads)
        else:
            text = section_zero_shot(args.runs, args.assays, args.methods, steps, args.finetune_steps, args.threads,
                                     args.max_tokens, args.max_similarity, args.batch_size)
        markers = (f"<!-- protein:{section} -->", f"<!-- /protein:{section} -->")
        machine = f"{args.threads} torch thread(s) on this machine's CPU (see provenance)."
        text = provenance.stamp(REPORT, f"{text}\n\n{machine}", MEASURES[section], figures,
                                section=f"protein:{section}")
        replace_section(REPORT, markers, f"{markers[0]}\n{text}\n{markers[1]}", "PoET benchmarks")
        print(text, flush=True)


if __name__ == "__main__":
    main()
