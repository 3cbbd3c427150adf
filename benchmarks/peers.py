"""seqkit side by side with what a user would otherwise run, on the same machine in the same run.

Sections (each a marked part of ``results/peers.md`` with its own provenance; peers are benchmark-only
extras, ``pip install -e ".[bench]"``, and the versions that ran are recorded):

1. ``mamba2``: Hugging Face transformers' Mamba-2 (``Mamba2ForCausalLM``; on a CPU its pure-PyTorch path)
   against seqkit's Mamba-2 backbone with the same embedding and head, at equal size (d_model, layers,
   d_state, head_dim, expand, chunk): training tokens/s (forward + backward + AdamW) and peak memory per
   sequence length at batch 1, and at a fixed number of tokens per step. The two are first checked to
   compute the same function: seqkit's weights are copied into the transformers model and the logits
   compared.
2. ``llama``: transformers' Llama configured as GENERator's architecture (a Llama decoder: RMSNorm, RoPE,
   SwiGLU MLP of 2.75x width, untied 6-mer head) scaled to seqkit's DNA LM size, against seqkit's ``DnaLM``
   with full attention (an MLP of the same parameter count) and with its shipped Mamba-2 layers: training
   tokens/s and peak memory at 4k and 16k tokens per sequence.
3. ``compiled``: each domain's shipped config trained for ``--compiled-steps`` steps by its console script,
   eager and with ``--model.init_args.compile=true``: seconds per step after the first ``--warmup`` steps
   (compilation happens there, and is reported apart), and the training loss after the last step (mean
   of the last ten), to show that compiling does not change what is learned.
4. ``informer``: the original Informer code (zhouhaoyi/Informer2020, run by the peer runner
   ``$SEQKIT_PEERS/informer2020/run.sh`` from a git source given as ``--informer-src``) at the paper's M-24
   setting on ETTh1 (seq 48, label 48, pred 24, factor 3, 2 epochs), fp32, against ``seqkit-forecast`` with
   ``etth1_M_24.yaml`` in fp32 and in the precision ``auto`` picks for this machine: training windows/s,
   peak RSS of the whole process, and test MSE/MAE of the best-validation model.
5. ``startup``: wall time of ``seqkit-<domain> --help`` per console script, a fresh process each, the
   median of several, at this commit and at the commit before commands imported lazily.

Every timed point runs in a fresh process (``--one``), so one point's allocations never pad another's.

    python benchmarks/peers.py --sections mamba2 llama compiled startup
    SEQKIT_SHARED_DATA=../shared/data python benchmarks/peers.py --sections informer --informer-src <git source>
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import provenance  # benchmarks/provenance.py
import torch
from report_sections import replace_section  # benchmarks/report_sections.py
from timed_steps import time_steps  # benchmarks/timed_steps.py
from torch import nn

REPORT = Path(__file__).resolve().parent / "results" / "peers.md"
CONSOLE_SCRIPTS = ("synthetic", "forecast", "protein", "dna", "motion", "video", "textimage")
MEASURES = {"mamba2": ("benchmarks/peers.py", "benchmarks/timed_steps.py", "seqkit/backbone.py",
                       "seqkit/mixers/mamba2.py", "seqkit/mixers/base.py", "seqkit/kernels/ssd",
                       "seqkit/kernels/segments.py", "seqkit/kernels/backend.py"),
            "llama": ("benchmarks/peers.py", "benchmarks/timed_steps.py", "seqkit/backbone.py", "seqkit/mixers",
                      "seqkit/kernels", "seqkit/domains/dna/model.py", "seqkit/domains/dna/tokenizers.py"),
            "compiled": ("benchmarks/peers.py", "benchmarks/step_timer.py", "seqkit"),
            "informer": ("benchmarks/peers.py", "benchmarks/step_timer.py", "seqkit/domains/forecast", "seqkit/mixers",
                         "seqkit/kernels", "seqkit/data", "seqkit/cli.py", "seqkit/callbacks.py", "seqkit/hardware.py"),
            "startup": ("benchmarks/peers.py", "seqkit", "pyproject.toml")}
#: per domain, the shipped config the compiled-steps section trains (ones that need no earlier checkpoint)
COMPILED_CONFIGS = {"synthetic": "default", "forecast": "etth1_M_24", "protein": "default", "dna": "default",
                    "motion": "motion_frames", "video": "video_clip", "textimage": "tokenizer_binary"}
#: the shared Mamba-2 size: a small language model a CPU trains (d_state, head_dim and expand are Mamba-2's own)
#: seqkit's DNA LM as ``seqkit-dna`` ships it (d_model, layers, Mamba-2 options), and the attention heads both
#: attention models use; GENERator's Llama has intermediate_size 5632 at hidden 2048, so 2.75x
DNA = {"d_model": 128, "layers": 4, "heads": 4, "mamba2": {"d_state": 32, "head_dim": 32, "chunk_size": 64},
       "llama_mlp_ratio": 2.75, "gelu_mlp_ratio": 2.75 * 3 / 2}  # a GELU MLP has 2 matrices to SwiGLU's 3
DNA_MODELS = ("seqkit_attention", "seqkit_mamba2", "llama")
MAMBA2 = {"d_model": 256, "layers": 4, "d_state": 64, "head_dim": 64, "expand": 2, "chunk": 64, "vocab": 4096}


# ---------------------------------------------------------------- 1. Mamba-2
class SeqkitMamba2LM(nn.Module):
    """Embedding → seqkit Backbone of Mamba-2 blocks (pre-RMSNorm, residual, final RMSNorm) → untied head: the
    layout of transformers' ``Mamba2ForCausalLM``, so the weights map one to one."""

    def __init__(self, size: dict) -> None:
        from seqkit.backbone import Backbone

        super().__init__()
        options = {"mamba2": {"d_state": size["d_state"], "head_dim": size["head_dim"], "expand": size["expand"],
                              "chunk_size": size["chunk"]}}
        self.embed = nn.Embedding(size["vocab"], size["d_model"])
        self.backbone = Backbone(size["d_model"], f"mamba2*{size['layers']}", options, mlp_ratio=0.0)
        self.head = nn.Linear(size["d_model"], size["vocab"], bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(self.embed(tokens)))  # (B, L, vocab)


def transformers_mamba2(size: dict) -> nn.Module:
    """transformers' Mamba-2 LM at ``size``; RMSNorm epsilon as torch's default, the one seqkit's norms use."""
    from transformers import Mamba2Config, Mamba2ForCausalLM

    d_inner = size["expand"] * size["d_model"]
    config = Mamba2Config(vocab_size=size["vocab"], hidden_size=size["d_model"], num_hidden_layers=size["layers"],
                          state_size=size["d_state"], head_dim=size["head_dim"], num_heads=d_inner // size["head_dim"],
                          expand=size["expand"], chunk_size=size["chunk"], n_groups=1, conv_kernel=4,
                          use_bias=False, use_conv_bias=True, tie_word_embeddings=False,
                          layer_norm_epsilon=torch.finfo(torch.float32).eps)
    return Mamba2ForCausalLM(config)


def copy_seqkit_into_transformers(ours: SeqkitMamba2LM, peer: nn.Module) -> None:
    """Load seqkit's weights into the transformers model (names differ, tensors are the same)."""
    state = {"backbone.embeddings.weight": ours.embed.weight, "backbone.norm_f.weight": ours.backbone.norm.weight,
             "lm_head.weight": ours.head.weight}
    for i, block in enumerate(ours.backbone.blocks):
        branch, prefix = block.mixer.forward_branch, f"backbone.layers.{i}."
        state |= {prefix + "norm.weight": block.norm.weight,
                  prefix + "mixer.in_proj.weight": branch.in_proj.weight,
                  prefix + "mixer.conv1d.weight": branch.conv_weight[:, None, :],  # (conv_dim, 1, d_conv)
                  prefix + "mixer.conv1d.bias": branch.conv_bias,
                  prefix + "mixer.dt_bias": branch.dt_bias, prefix + "mixer.A_log": branch.A_log,
                  prefix + "mixer.D": branch.D, prefix + "mixer.norm.weight": branch.norm.weight,
                  prefix + "mixer.out_proj.weight": block.mixer.out_proj.weight}
    peer.load_state_dict({k: v.detach().clone() for k, v in state.items()}, strict=True)


@torch.no_grad()
def mamba2_agreement(size: dict, length: int = 1024) -> dict:
    """Max |Δ logits| between seqkit's model and transformers' given seqkit's weights, on random tokens."""
    torch.manual_seed(0)
    ours = SeqkitMamba2LM(size).eval()
    peer = transformers_mamba2(size).eval()
    copy_seqkit_into_transformers(ours, peer)
    tokens = torch.randint(0, size["vocab"], (2, length))
    a, b = ours(tokens), peer(tokens).logits
    return {"max_abs_diff": float((a - b).abs().max()), "logit_scale": float(a.abs().max()), "length": length}


def _one_mamba2_point(impl: str, batch: int, length: int, threads: int, steps: int) -> dict:
    """In a fresh process: one implementation's training step at (batch, length)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SeqkitMamba2LM(MAMBA2) if impl == "seqkit" else transformers_mamba2(MAMBA2)
    return lm_step_cost(model, torch.randint(0, MAMBA2["vocab"], (batch, length + 1)), steps)


def lm_step_cost(model: nn.Module, tokens: torch.Tensor, steps: int) -> dict:
    """Tokens/s, seconds and peak MiB of a causal-LM training step (forward, cross-entropy, backward, AdamW) on
    ``tokens`` (B, L + 1); ``model`` returns logits or an output with ``.logits`` (transformers)."""
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), 1e-4)

    def step() -> None:
        out = model(tokens[:, :-1])
        logits = out if torch.is_tensor(out) else out.logits  # (B, L, vocab)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten())
        loss.backward()
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)

    seconds, peak = time_steps(step, steps)
    return {"tokens_per_second": tokens[:, 1:].numel() / seconds, "seconds_per_step": seconds, "peak_mib": peak,
            "parameters": sum(p.numel() for p in model.parameters())}


def _point(kind: str, **spec: object) -> dict:
    arg = json.dumps({"kind": kind, **spec})
    out = subprocess.run([sys.executable, __file__, "--one", arg], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{kind} {spec} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def section_mamba2(threads: int, steps: int, lengths: list[int], tokens_per_step: int) -> tuple[str, dict]:
    agreement = mamba2_agreement(MAMBA2)
    rows: dict[str, dict] = {"batch 1": {}, f"{tokens_per_step} tokens per step": {}}
    for length in lengths:
        for label, batch in (("batch 1", 1), (f"{tokens_per_step} tokens per step", max(1, tokens_per_step // length))):
            rows[label][str(length)] = {impl: _point("mamba2", impl=impl, batch=batch, length=length,
                                                     threads=threads, steps=steps) | {"batch": batch}
                                        for impl in ("seqkit", "transformers")}
            print(label, length, rows[label][str(length)], flush=True)
    versions = {p: provenance._version(p) for p in ("torch", "transformers")}
    size = ", ".join(f"{k} {v}" for k, v in MAMBA2.items())
    lines = ["## Mamba-2 backbone: seqkit against transformers' Mamba-2", "",
             f"Both as a causal LM ({size}; embedding → Mamba-2 blocks with pre-RMSNorm and residual → RMSNorm → "
             f"untied head), fp32, forward + cross-entropy + backward + AdamW, mean of {steps} steps after a warm-up "
             f"step, a fresh process per point; transformers {versions['transformers']} (`Mamba2ForCausalLM`, whose "
             f"CPU path is pure PyTorch), torch {versions['torch']}. Peak = RSS high-water mark above the RSS before "
             "the timed steps.", "",
             f"Same function: with seqkit's weights copied into transformers' model, the logits of 2 × "
             f"{agreement['length']} random tokens differ by at most {agreement['max_abs_diff']:.2e} "
             f"(largest logit {agreement['logit_scale']:.2f}).", "",
             "| step | tokens per sequence | batch | seqkit tokens/s | transformers tokens/s | speed-up | "
             "seqkit peak MiB | transformers peak MiB |", "|---|---|---|---|---|---|---|---|"]
    for label, by_length in rows.items():
        for length, r in by_length.items():
            ours, peer = r["seqkit"], r["transformers"]
            lines.append(f"| {label} | {int(length):,} | {ours['batch']} | {ours['tokens_per_second']:,.0f} | "
                         f"{peer['tokens_per_second']:,.0f} | "
                         f"{ours['tokens_per_second'] / peer['tokens_per_second']:.2f}× | {ours['peak_mib']:,.0f} | "
                         f"{peer['peak_mib']:,.0f} |")
    return "\n".join(lines), {"size": MAMBA2, "agreement": agreement, "rows": rows, "versions": versions}


# ---------------------------------------------------------------- 2. Llama (GENERator's architecture)
def dna_model(kind: str) -> nn.Module:
    """One of ``DNA_MODELS`` at seqkit's DNA LM size, with the 6-mer vocabulary."""
    from seqkit.domains.dna.model import DnaLM
    from seqkit.domains.dna.tokenizers import build_tokenizer

    d = DNA["d_model"]
    if kind == "seqkit_mamba2":
        return DnaLM(d_model=d, layers=f"mamba2*{DNA['layers']}", mixer_options={"mamba2": DNA["mamba2"]})
    if kind == "seqkit_attention":
        return DnaLM(d_model=d, layers=f"attention*{DNA['layers']}", mlp_ratio=DNA["gelu_mlp_ratio"],
                     mixer_options={"attention": {"n_heads": DNA["heads"]}})
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=build_tokenizer("kmer", 6).vocab_size, hidden_size=d,
                         intermediate_size=round(DNA["llama_mlp_ratio"] * d), num_hidden_layers=DNA["layers"],
                         num_attention_heads=DNA["heads"], num_key_value_heads=DNA["heads"],
                         max_position_embeddings=32768, tie_word_embeddings=False, attn_implementation="sdpa")
    return LlamaForCausalLM(config)


def _one_dna_point(model: str, length: int, threads: int, steps: int) -> dict:
    """In a fresh process: one DNA model's training step on a (1, length) 6-mer sequence."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    network = dna_model(model)
    vocab = network.head.out_features if hasattr(network, "head") else network.lm_head.out_features
    return lm_step_cost(network, torch.randint(0, vocab, (1, length + 1)), steps)


def section_llama(threads: int, steps: int, lengths: list[int]) -> tuple[str, dict]:
    rows = {str(n): {kind: _point("dna", model=kind, length=n, threads=threads, steps=steps) for kind in DNA_MODELS}
            for n in lengths}
    versions = {p: provenance._version(p) for p in ("torch", "transformers")}
    names = {"seqkit_attention": "seqkit DnaLM, full attention", "seqkit_mamba2": "seqkit DnaLM, Mamba-2 (shipped)",
             "llama": "transformers Llama (GENERator's architecture)"}
    params = {k: rows[str(lengths[0])][k]["parameters"] for k in DNA_MODELS}
    lines = ["## DNA LM: seqkit against transformers' Llama as GENERator builds it", "",
             f"6-mer causal LMs at seqkit-dna's size (d_model {DNA['d_model']}, {DNA['layers']} layers, "
             f"{DNA['heads']} attention heads): Llama with a SwiGLU MLP of {DNA['llama_mlp_ratio']}x width "
             f"(GENERator's ratio), seqkit's attention model with a GELU MLP of as many weights, seqkit's shipped "
             f"Mamba-2 layers (no MLP). Batch 1, fp32, forward + cross-entropy + backward + AdamW, mean of {steps} "
             f"steps after a warm-up step, a fresh process per point; transformers {versions['transformers']} "
             f"(SDPA attention), torch {versions['torch']}.", "",
             "| model | parameters | " + " | ".join(f"{n // 1024}k tokens/s | {n // 1024}k peak MiB" for n in lengths)
             + " | " + " | ".join(f"{n // 1024}k vs Llama" for n in lengths) + " |",
             "|---|---|" + "---|---|" * len(lengths) + "---|" * len(lengths)]
    for kind in DNA_MODELS:
        cells = " | ".join(f"{rows[str(n)][kind]['tokens_per_second']:,.0f} | {rows[str(n)][kind]['peak_mib']:,.0f}"
                           for n in lengths)
        speed = {n: rows[str(n)][kind]["tokens_per_second"] / rows[str(n)]["llama"]["tokens_per_second"]
                 for n in lengths}
        ratios = " | ".join(f"{speed[n]:.2f}×" for n in lengths)
        lines.append(f"| {names[kind]} | {params[kind]:,} | {cells} | {ratios} |")
    return "\n".join(lines), {"size": DNA, "rows": rows, "versions": versions}


# ---------------------------------------------------------------- 3. compiled steps
def _step_timer_env(threads: int, times: Path) -> dict[str, str]:
    """Environment of a console-script run timed by ``step_timer.StepTimer`` (importable from benchmarks/),
    writing its step times to ``times``."""
    import os

    here = str(Path(__file__).resolve().parent)
    return dict(os.environ, OMP_NUM_THREADS=str(threads), SEQKIT_STEP_TIMES=str(times),
                PYTHONPATH=os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))


def compiled_run(domain: str, compile_model: bool, steps: int, threads: int, root: Path) -> dict:
    """Train ``domain``'s config for ``steps`` through its console script; its per-step times and losses."""

    config = COMPILED_CONFIGS[domain]
    out = root / f"{domain}_{'compiled' if compile_model else 'eager'}"
    times = out / "steps.json"
    cmd = [sys.executable, "-m", f"seqkit.domains.{domain}.cli", "fit", "-c", f"{config}.yaml",
           f"--trainer.default_root_dir={out}", f"--trainer.max_steps={steps}", "--trainer.max_epochs=100000",
           "--trainer.limit_val_batches=0", "--trainer.enable_progress_bar=false", "--trainer.logger=false",
           "--trainer.callbacks+=step_timer.StepTimer",
           f"--model.init_args.compile={str(compile_model).lower()}"]
    env = _step_timer_env(threads, times)
    print("$", " ".join(cmd[2:]), flush=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{domain} ({'compiled' if compile_model else 'eager'}) failed:\n{proc.stderr[-3000:]}")
    summary = json.loads(next(out.rglob("run_summary.json")).read_text())  # RunSummary: what compiled, what broke
    return json.loads(times.read_text()) | {"config": config, "graph_breaks": summary.get("graph_breaks"),
                                            "compiled": summary.get("compiled", [])}


def section_compiled(threads: int, steps: int, warmup: int, root: Path) -> tuple[str, dict]:
    rows = {}
    for domain in COMPILED_CONFIGS:
        runs = {mode: compiled_run(domain, mode == "compiled", steps, threads, root) for mode in ("eager", "compiled")}
        row = {}
        for mode, run in runs.items():
            t = [s[0] for s in run["steps"]]
            loss = [s[1] for s in run["steps"]]
            row[mode] = {"first_steps_s": t[warmup - 1], "per_step_s": (t[-1] - t[warmup - 1]) / (len(t) - warmup),
                         "final_loss": statistics.fmean(loss[-10:]), "steps": len(t)}
        row["config"] = runs["eager"]["config"]
        row["compiled"], row["graph_breaks"] = runs["compiled"]["compiled"], runs["compiled"]["graph_breaks"]
        rows[domain] = row
        print(domain, row, flush=True)
    lines = ["## Eager against compiled training steps", "",
             f"Each domain's shipped config, trained by its console script for {steps} steps without validation, "
             f"eager and with `--model.init_args.compile=true` (`torch.compile`, Inductor), same seed. Per step: "
             f"the mean after the first {warmup} steps; the first {warmup} steps (compilation included) apart. "
             "Loss: the training loss, mean of the last ten steps.", "",
             "| domain (config) | compiled | eager s/step | compiled s/step | speed-up | first steps eager / compiled s"
             " | loss eager | loss compiled | graph breaks |", "|---|---|---|---|---|---|---|---|---|"]
    for domain, r in rows.items():
        e, c = r["eager"], r["compiled"]
        first = f"{e['first_steps_s']:.1f} / {c['first_steps_s']:.1f}"
        lines.append(f"| {domain} (`{r['config']}`) | {', '.join(r['compiled'])} | {e['per_step_s']:.3f} | "
                     f"{c['per_step_s']:.3f} | {e['per_step_s'] / c['per_step_s']:.2f}× | {first} | "
                     f"{e['final_loss']:.4f} | {c['final_loss']:.4f} | {r['graph_breaks']} |")
    return "\n".join(lines), {"rows": rows, "steps": steps, "warmup": warmup}


# ---------------------------------------------------------------- 4. Informer, the paper's code
def _peers_root() -> Path:
    """Where the peer runners live: ``$SEQKIT_PEERS``, else a ``shared/peers`` folder beside the checkout."""
    import os

    return Path(os.environ.get("SEQKIT_PEERS", Path(__file__).resolve().parents[2] / "shared" / "peers"))


def informer_peer(src: str, threads: int, root: Path) -> dict:
    """Run the original Informer at M-24 through its peer runner; per-epoch seconds and windows, test scores."""
    import os

    runner = _peers_root() / "informer2020" / "run.sh"
    if not runner.exists():
        raise SystemExit(f"{runner} not found: set SEQKIT_PEERS to the folder holding informer2020/run.sh")
    out = root / "informer2020"
    env = dict(os.environ, SRC=src, FEATURES="M", EPOCHS="2", SEQ_LEN="48", LABEL_LEN="48", PRED_LEN="24",
               EXTRA_ARGS="--factor 3", THREADS=str(threads), PARALLEL="0", SEED="2021", OUT=str(out),
               SCRATCH=str(root / "peer_scratch"), BASE_VENV=sys.prefix)
    subprocess.run(["bash", str(runner)], env=env, check=True)
    log = (out / "M.log").read_text()
    import re

    seconds = [float(m) for m in re.findall(r"^Epoch: \d+ cost time: ([0-9.]+)", log, re.M)]
    steps = [int(m) for m in re.findall(r"^Epoch: \d+, Steps: (\d+)", log, re.M)]
    mse, mae = re.findall(r"mse:([0-9.e-]+), mae:([0-9.e-]+)", log)[-1]
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", log)
    commit = subprocess.run(["git", "-C", str(root / "peer_scratch" / "Informer2020"), "rev-parse", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"epoch_seconds": seconds, "windows_per_epoch": [32 * n for n in steps], "test_mse": float(mse),
            "test_mae": float(mae), "peak_rss_mib": int(rss.group(1)) / 1024 if rss else None, "commit": commit}


def informer_ours(precision: str, threads: int, root: Path) -> dict:
    """``seqkit-forecast fit -c etth1_M_24.yaml`` at ``precision``, then ``test --ckpt_path best``."""

    out = root / f"seqkit_forecast_{precision}"
    times = out / "steps.json"
    env = _step_timer_env(threads, times)
    common = ["-c", "etth1_M_24.yaml", f"--trainer.default_root_dir={out}", f"--trainer.precision={precision}",
              "--trainer.enable_progress_bar=false", "--run_name=run"]
    cli = [sys.executable, "-m", "seqkit.domains.forecast.cli"]
    subprocess.run([*cli, "fit", *common, "--trainer.callbacks+=step_timer.StepTimer"], env=env, check=True)
    subprocess.run([*cli, "test", *common, "--ckpt_path=best"], env=env, check=True)
    timed = json.loads(times.read_text())
    metrics = json.loads(next(out.rglob("test_metrics.json")).read_text())["metrics"]
    starts = timed["epochs"] + [(None, len(timed["steps"]))]
    epoch_seconds, windows = [], []
    for (start, first), (_, end) in zip(starts[:-1], starts[1:], strict=True):
        epoch_seconds.append(timed["steps"][end - 1][0] - start)  # first step's start to last step's end
        windows.append(32 * (end - first))
    summary = json.loads(next(out.rglob("run_summary.json")).read_text())
    return {"epoch_seconds": epoch_seconds, "windows_per_epoch": windows, "test_mse": metrics["test_mse"],
            "test_mae": metrics["test_mae"], "peak_rss_mib": timed["peak_rss_mib"], "precision": summary["precision"]}


def section_informer(threads: int, src: str | None, root: Path) -> tuple[str, dict]:
    if src is None:
        raise SystemExit("--informer-src: a git source of zhouhaoyi/Informer2020 (a clone or a mirror) is needed")
    paper = "Informer2020 (the paper's code)"
    runs = {paper: informer_peer(src, threads, root),
            "seqkit-forecast, fp32": informer_ours("32-true", threads, root),
            "seqkit-forecast, precision auto": informer_ours("auto", threads, root)}
    peer = runs[paper]
    lines = ["## Informer: seqkit against the paper's own code", "",
             "ETTh1, features M, the paper's pred-24 setting (seq_len 48, label_len 48, pred_len 24, factor 3, "
             "d_model 512, batch 32, Adam 1e-4 halved each epoch), 2 epochs, test on the best-validation model. "
             f"The paper's code is zhouhaoyi/Informer2020 at `{peer['commit'][:7]}`, run by the peer runner "
             "`informer2020/run.sh` (seed 2021, one NumPy 2 patch, nothing else changed). Windows/s: training windows "
             "over each epoch's training time (data loading included, validation not), mean over the epochs; "
             "peak: the process's RSS high-water mark. Test MSE/MAE on z-scored values.", "",
             "| implementation | precision | windows/s | vs the paper's code | peak RSS MiB | test MSE | test MAE |",
             "|---|---|---|---|---|---|---|"]
    rate = {k: sum(r["windows_per_epoch"]) / sum(r["epoch_seconds"]) for k, r in runs.items()}
    for name, r in runs.items():
        peak = "–" if r["peak_rss_mib"] is None else f"{r['peak_rss_mib']:,.0f}"
        lines.append(f"| {name} | {r.get('precision', 'fp32')} | {rate[name]:,.1f} | "
                     f"{rate[name] / rate[paper]:.2f}× | {peak} | "
                     f"{r['test_mse']:.4f} | {r['test_mae']:.4f} |")
    return "\n".join(lines), {"runs": runs, "windows_per_second": rate}


# ---------------------------------------------------------------- 5. start-up
#: the commit before commands started importing lazily (7e88927, "fast --help"): the start-up table's "before"
STARTUP_BEFORE = "7e88927^"


def help_seconds(domain: str, repeats: int, tree: Path) -> list[float] | None:
    """Wall seconds of ``seqkit-<domain> --help`` as the console script runs it (``python -m`` of its module,
    with the package imported from ``tree``), one fresh process per run; None where ``tree`` has no such
    command."""
    import os

    if not (tree / "seqkit" / "domains" / domain / "cli.py").exists():
        return None
    env = dict(os.environ, PYTHONPATH=str(tree))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", f"seqkit.domains.{domain}.cli", "--help"], check=True,
                       capture_output=True, env=env, cwd=tree)
        times.append(time.perf_counter() - start)
    return times


def section_startup(repeats: int, before: str) -> tuple[str, dict]:
    import tempfile

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as scratch:
        old = Path(scratch) / "before"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "-q", str(old), before], check=True)
        try:
            commit = subprocess.run(["git", "-C", str(old), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, check=True).stdout.strip()
            rows = {d: {"before": help_seconds(d, repeats, old), "now": help_seconds(d, repeats, repo)}
                    for d in CONSOLE_SCRIPTS}
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(old)], check=True)

    def cell(times: list[float] | None) -> str:
        return "–" if times is None else f"{statistics.median(times[1:]):.2f} ({max(times[1:]):.2f})"

    lines = ["## Command start-up", "",
             f"`seqkit-<domain> --help` as its console script runs it (`python -m seqkit.domains.<domain>.cli "
             f"--help`), a fresh process each time: median (slowest) seconds of {repeats - 1} runs after one untimed "
             f"run warms the file cache. Before: commit `{commit}`, the last before commands imported Lightning, "
             "torch and the domain lazily (– where the command did not exist yet); now: this commit. Goal: under "
             "5 s.", "",
             "| command | before s | now s |", "|---|---|---|"]
    for domain, r in rows.items():
        lines.append(f"| `seqkit-{domain} --help` | {cell(r['before'])} | {cell(r['now'])} |")
    return "\n".join(lines), {"seconds": rows, "before": commit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=list(MEASURES), default=list(MEASURES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per point")
    parser.add_argument("--lengths", type=int, nargs="+", default=[1024, 4096, 16384])
    parser.add_argument("--dna-lengths", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--tokens-per-step", type=int, default=16384)
    parser.add_argument("--compiled-steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5, help="compiled: steps left out of the per-step mean")
    parser.add_argument("--runs", type=Path, default=Path("runs/peers"))
    parser.add_argument("--informer-src", help="informer: a git source of zhouhaoyi/Informer2020")
    parser.add_argument("--startup-before", default=STARTUP_BEFORE, help="startup: the commit to compare with")
    parser.add_argument("--repeats", type=int, default=6, help="start-up: runs per command (the first is untimed)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        kind = spec.pop("kind")
        if kind == "mamba2":
            print(json.dumps(_one_mamba2_point(**spec)))
        elif kind == "dna":
            print(json.dumps(_one_dna_point(**spec)))
        return
    for section in args.sections:
        if section == "mamba2":
            text, figures = section_mamba2(args.threads, args.steps, args.lengths, args.tokens_per_step)
        elif section == "llama":
            text, figures = section_llama(args.threads, args.steps, args.dna_lengths)
        elif section == "informer":
            text, figures = section_informer(args.threads, args.informer_src, args.runs)
        elif section == "compiled":
            text, figures = section_compiled(args.threads, args.compiled_steps, args.warmup, args.runs)
        else:
            text, figures = section_startup(args.repeats, args.startup_before)
        markers = (f"<!-- peers:{section} -->", f"<!-- /peers:{section} -->")
        machine = f"{args.threads} torch thread(s) on this machine's CPU (see provenance)."
        text = provenance.stamp(REPORT, f"{text}\n\n{machine}", MEASURES[section], figures, section=f"peers:{section}")
        replace_section(REPORT, markers, f"{markers[0]}\n{text}\n{markers[1]}", "seqkit beside its peers")
        print(text, flush=True)


if __name__ == "__main__":
    main()
