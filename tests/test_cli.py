"""The shared CLI end to end: shipped YAML, fit → predict in a subprocess, DDP, resume, bad configs."""

from __future__ import annotations

import gzip
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import pandas as pd
import pytest
import torch

from seqkit.domains.synthetic import SyntheticLM
from seqkit.domains.synthetic.cli import main

SMALL = ["--data.init_args.seq_len=48", "--data.init_args.n_tokens=4", "--data.init_args.n_train=64",
         "--data.init_args.n_val=32", "--data.init_args.n_test=32", "--data.init_args.n_predict=40",
         "--data.init_args.batch_size=16", "--model.init_args.d_model=32",
         "--model.init_args.mixer_options={mamba2: {d_state: 8, head_dim: 16, chunk_size: 16}}",
         "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
CLI = [sys.executable, "-m", "seqkit.domains.synthetic.cli"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    proc = subprocess.run(CLI + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _predictions(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("predictions_*.csv"))
    assert files, f"no prediction files in {folder}"
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def test_fit_then_predict_subprocess_writes_every_example_once_and_skips_on_rerun(tmp_path: Path) -> None:
    _run(["fit", *SMALL, "--trainer.max_epochs=1", f"--trainer.default_root_dir={tmp_path}"], tmp_path)
    ckpt = next(tmp_path.rglob("last.ckpt"))
    assert next(tmp_path.rglob("training_curves.png")).stat().st_size > 0
    out = tmp_path / "pred"
    predict = ["predict", *SMALL, f"--ckpt_path={ckpt}", f"--prediction_writer.output_dir={out}",
               f"--trainer.default_root_dir={tmp_path}"]
    _run(predict, tmp_path)
    frame = _predictions(out)
    assert sorted(frame["index"]) == list(range(40))
    assert set(frame.columns) >= {"predicted", "target", "accuracy"}
    assert frame["predicted"].str.split().map(len).eq(4).all()
    stamps = {f: f.stat().st_mtime_ns for f in out.iterdir()}
    victim = sorted(stamps)[1]
    victim.unlink()  # a lost shard is recomputed; the others are left alone
    _run(predict, tmp_path)
    assert victim.exists()
    assert all(f.stat().st_mtime_ns == t for f, t in stamps.items() if f != victim)


def test_ddp_two_cpu_processes_fit_and_predict(tmp_path: Path) -> None:
    ddp = ["--trainer.strategy=ddp", "--trainer.devices=2", "--trainer.accelerator=cpu"]
    _run(["fit", *SMALL, *ddp, "--trainer.max_epochs=1", f"--trainer.default_root_dir={tmp_path}"], tmp_path)
    ckpt = next(tmp_path.rglob("last.ckpt"))
    out = tmp_path / "pred"
    _run(["predict", *SMALL, *ddp, f"--ckpt_path={ckpt}", f"--prediction_writer.output_dir={out}",
          f"--trainer.default_root_dir={tmp_path}"], tmp_path)
    frame = _predictions(out)
    assert sorted(frame["index"]) == list(range(40))
    assert {p.name.split("_")[1] for p in out.iterdir()} == {"rank0of2", "rank1of2"}


def _final_weights(root: Path) -> dict[str, torch.Tensor]:
    ckpt = torch.load(next(root.rglob("last.ckpt")), weights_only=True, map_location="cpu")
    return ckpt["state_dict"]


class InterruptAtSecondEpoch(L.Callback):
    """Simulates a killed run: dies as epoch 1 starts, after epoch 0's last.ckpt was written."""

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == 1:
            raise RuntimeError("simulated kill")


def test_resume_from_last_matches_uninterrupted_run(tmp_path: Path) -> None:
    common = [*SMALL, "--trainer.logger=false", "--trainer.max_epochs=2"]
    main(["fit", *common, f"--trainer.default_root_dir={tmp_path / 'a'}"])
    with pytest.raises(RuntimeError, match="simulated kill"):
        main(["fit", *common, f"--trainer.default_root_dir={tmp_path / 'b'}",
              "--trainer.callbacks+=test_cli.InterruptAtSecondEpoch"])
    last = next((tmp_path / "b").rglob("last.ckpt"))
    assert torch.load(last, weights_only=True)["epoch"] == 0
    main(["fit", *common, f"--trainer.default_root_dir={tmp_path / 'b'}", f"--ckpt_path={last}"])
    a, b = _final_weights(tmp_path / "a"), _final_weights(tmp_path / "b")
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    # and training did move the weights
    fresh = SyntheticLM(**{k: v for k, v in torch.load(last, weights_only=True)["hyper_parameters"].items()
                           if not k.startswith("_")})
    assert not torch.equal(fresh.state_dict()["head.weight"], a["head.weight"])


def test_compiled_fit_matches_eager_records_graph_breaks_and_resumes_eager(tmp_path: Path) -> None:
    import json

    common = [*SMALL, "--model.init_args.layers=attention", "--model.init_args.mixer_options={}",
              "--trainer.max_epochs=1"]  # 4 steps
    _run(["fit", *common, f"--trainer.default_root_dir={tmp_path / 'eager'}"], tmp_path)
    _run(["fit", *common, "--model.init_args.compile=true", f"--trainer.default_root_dir={tmp_path / 'compiled'}"],
         tmp_path)
    summary = json.loads(next((tmp_path / "compiled").rglob("run_summary.json")).read_text())
    assert summary["compiled"] == ["backbone"] and summary["graph_breaks"] == 0
    assert "compiled" not in json.loads(next((tmp_path / "eager").rglob("run_summary.json")).read_text())
    eager, compiled = _final_weights(tmp_path / "eager"), _final_weights(tmp_path / "compiled")
    assert eager.keys() == compiled.keys()  # no _orig_mod prefixes: the checkpoints are interchangeable
    for name in eager:
        torch.testing.assert_close(compiled[name], eager[name], rtol=1e-4, atol=1e-5, msg=name)
    # the compiled run's checkpoint resumes without compiling
    _run(["fit", *common[:-1], "--trainer.max_epochs=2", "--model.init_args.compile=false",
          f"--trainer.default_root_dir={tmp_path / 'compiled'}", "--ckpt_path=last"], tmp_path)
    assert torch.load(next((tmp_path / "compiled").rglob("last.ckpt")), weights_only=True)["global_step"] == 8


def test_checkpoint_hyperparameters_are_plain_and_load_with_weights_only(tmp_path: Path) -> None:
    main(["fit", *SMALL, "--trainer.max_epochs=1", "--trainer.logger=false", f"--trainer.default_root_dir={tmp_path}"])
    ckpt = next(tmp_path.rglob("last.ckpt"))
    hparams = torch.load(ckpt, weights_only=True)["hyper_parameters"]

    def plain(v: object) -> bool:
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, list | tuple):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, bool | int | float | str)

    assert plain(hparams)
    model = SyntheticLM.load_from_checkpoint(ckpt, weights_only=True)
    assert model.backbone.layer_names == ["mamba2", "mamba2"]


def _data_root(tmp_path: Path) -> Path:
    """The real data root when present, else stand-ins named like the real files: an ETTh1-shaped synthetic
    CSV (20 months hourly), small synthetic protein families as BLAT_ECOLX's and PTEN_HUMAN's MSA and DMS and as
    balifam1000's families, and a synthetic genome as the E. coli FASTA."""
    real = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data"))
    if (real / "timeseries" / "ETTh1.csv").exists():
        return real
    from seqkit.domains.forecast.synthetic_series import synthetic_series

    table = synthetic_series(14400, 7, "h", seed=0)
    frame = pd.DataFrame(table.values, columns=["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"])
    frame.insert(0, "date", table.stamps.strftime("%Y-%m-%d %H:%M:%S"))
    (tmp_path / "timeseries").mkdir()
    frame.to_csv(tmp_path / "timeseries" / "ETTh1.csv", index=False)
    from seqkit.domains.protein.synthetic_family import synthetic_family

    blat = tmp_path / "protein" / "BLAT_ECOLX"
    blat.mkdir(parents=True)
    a3m, dms = synthetic_family(40, 32, seed=0).write(blat)
    a3m.rename(blat / "BLAT_ECOLX_ColabFold_2202.a3m")
    dms.rename(blat / "BLAT_ECOLX_Jacquier_2013.csv")
    pten = tmp_path / "protein" / "PTEN_HUMAN"
    pten.mkdir()
    a2m, dms = synthetic_family(40, 32, seed=1).write(pten)
    a2m.rename(pten / "PTEN_HUMAN_b1.0.a2m")
    dms.rename(pten / "PTEN_HUMAN_VAMPseq_ProteinGym_format.csv")
    for size in (1000, 10000):  # gzipped FASTA families, as balifam's
        balifam = tmp_path / "protein" / "balifam" / f"balifam{size}"
        balifam.mkdir(parents=True)
        for k in range(8):
            family = synthetic_family(30, 16, seed=10 + k).msa
            with gzip.open(balifam / f"PF{k:05d}.{size}.fa.gz", "wt") as fh:
                fh.writelines(f">{i}\n{r}\n" for i, r in zip(family.ids, family.raw, strict=True))
    from seqkit.domains.dna.synthetic_genome import synthetic_genome

    genome = synthetic_genome(200_000, seed=0)
    (tmp_path / "dna").mkdir()
    with gzip.open(tmp_path / "dna" / "ecoli_k12_mg1655_GCF_000005845.2.fna.gz", "wt") as fh:
        for name, length in genome:
            fh.write(f">{name}\n{genome.fetch(name, 0, length).tobytes().decode()}\n")
    return tmp_path


def test_every_shipped_config_instantiates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configs = sorted((Path(__file__).parents[1] / "seqkit" / "domains").glob("*/configs/*.yaml"))
    assert len(configs) >= 7
    monkeypatch.setenv("SEQKIT_SHARED_DATA", str(_data_root(tmp_path)))
    # the motion denoisers' configs name the stage-1 VAE under runs/: an untrained one of the shipped size
    from seqkit.domains.motion.vae_module import MotionVAEModule

    monkeypatch.chdir(tmp_path)
    vae = MotionVAEModule(layers="attention*4", mixer_options={"attention": {"n_heads": 4}})
    (tmp_path / "runs" / "motion" / "motion_vae" / "checkpoints").mkdir(parents=True)
    torch.save({"state_dict": vae.state_dict(), "hyper_parameters": dict(vae.hparams)},
               tmp_path / "runs" / "motion" / "motion_vae" / "checkpoints" / "last.ckpt")
    for config in configs:
        domain_main = importlib.import_module(f"seqkit.domains.{config.parents[1].name}.cli").main
        cli = domain_main(["-c", str(config)], run=False)
        assert isinstance(cli.model, torch.nn.Module) and cli.datamodule is not None
        if config.name.startswith("etth1_"):  # the paper's model on the real file, channels linked from it
            features = config.stem.split("_")[1]
            assert cli.model.hparams.d_model == 512 and cli.model.hparams.d_ff == 2048
            assert cli.datamodule.enc_in == (1 if features == "S" else 7) == cli.model.hparams.enc_in


@pytest.mark.parametrize(("args", "expected"), [
    (["--model.init_args.d_modle=32"], "d_model"),
    (["--model.init_args.layers=mamba3*2"], "allowed values"),
    (["--data.init_args.task=copy"], "selective_copying"),
    (["--model.init_args.layers=window", "--model.init_args.mixer_options={window: {window: 512}}"], "seq_len"),
    (["--model.init_args.layers=window", "--model.init_args.mixer_options={window: {windw: 8}}"], "allowed options"),
])
def test_bad_configuration_names_the_parameter(args: list[str], expected: str, capsys: pytest.CaptureFixture
                                               ) -> None:
    with pytest.raises((SystemExit, ValueError)) as err:
        main(["fit", *SMALL, "--trainer.max_epochs=1", "--trainer.logger=false", *args])
    text = str(err.value) + capsys.readouterr().err
    assert expected in text


def test_config_file_typo_gets_nearest_valid_key(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("model:\n  init_args:\n    d_modle: 32\n")
    with pytest.raises(SystemExit):
        main(["-c", str(config)], run=False)
    err = capsys.readouterr().err
    assert "d_modle" in err and "d_model" in err


def test_console_scripts_exit_zero_on_success() -> None:
    """Every [project.scripts] target returns None or an int: sys.exit(<object>) would exit 1 after a good run."""
    import tomllib

    scripts = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts
    for name, target in scripts.items():
        module, func = target.split(":")
        fn = getattr(importlib.import_module(module), func)
        annotation = inspect.signature(fn).return_annotation
        assert annotation in (None, "None", int, "int"), f"{name} -> {target} returns {annotation}"
