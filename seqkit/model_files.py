"""Trained models as files: ``load`` a checkpoint or an export, ``export`` weights as safetensors + config.

``seqkit.load(path)`` gives the trained LightningModule, in eval mode, on the device asked for, from
either a Lightning checkpoint (read with ``weights_only=True``) or a folder written by ``export``
(``model.safetensors`` + ``config.json``: the model class, its hyperparameters and the data settings).
An export holds no pickle, so a model can be shared and loaded without trusting the sender's code.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from seqkit.atomic_io import atomic_write
from seqkit.commands.user_errors import InputError

EXPORT_FORMAT = "seqkit-export/1"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
_CLI_KEYS = ("_class_path", "_instantiator")


def load(path: str | os.PathLike, device: str | Any = "cpu", model_class: type | None = None) -> Any:
    """The trained model at ``path`` (``.ckpt`` file or export folder), in eval mode on ``device``.

    ``model_class`` is needed only for checkpoints that do not record their class (written outside the CLI).
    """
    path = Path(path)
    if path.is_dir() or path.name in (WEIGHTS_FILE, CONFIG_FILE):
        return _load_export(path if path.is_dir() else path.parent, device, model_class)
    if not path.is_file():
        raise InputError(path, None, "checkpoint not found")
    checkpoint = _read_checkpoint(path)
    cls = model_class or _class_from_hparams(path, checkpoint.get("hyper_parameters", {}))
    model = cls.load_from_checkpoint(path, map_location=device, weights_only=True)
    return model.eval()


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """Class path, hyperparameters and data settings of a checkpoint or export, without building the model."""
    path = Path(path)
    if path.is_dir():
        return _export_config(path)
    checkpoint = _read_checkpoint(path)
    hparams = dict(checkpoint.get("hyper_parameters", {}))
    return {"format": EXPORT_FORMAT, "class_path": hparams.get("_class_path"),
            "hyper_parameters": {k: v for k, v in hparams.items() if k not in _CLI_KEYS},
            "datamodule_hyper_parameters": {k: v for k, v in checkpoint.get("datamodule_hyper_parameters", {}).items()
                                            if k not in _CLI_KEYS}}


def export(checkpoint: str | os.PathLike, output_dir: str | os.PathLike, model_class: type | None = None) -> Path:
    """Write ``model.safetensors`` and ``config.json`` for ``checkpoint`` into ``output_dir``; returns it."""
    from safetensors.torch import save_model

    config = read_config(checkpoint)
    model = load(checkpoint, "cpu", model_class)
    config["class_path"] = f"{type(model).__module__}.{type(model).__qualname__}"
    try:
        text = json.dumps(config, indent=1)
    except TypeError as err:
        raise InputError(checkpoint, "hyper_parameters", f"not plain JSON types, cannot export: {err}") from None
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{WEIGHTS_FILE}.{os.getpid()}.tmp"
    try:
        save_model(model, str(tmp))
        os.replace(tmp, out / WEIGHTS_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    atomic_write(out / CONFIG_FILE, lambda fh: fh.write(text.encode()))
    return out


def export_command(checkpoint: str, output_dir: str) -> int:
    """Export a checkpoint for ``seqkit.load``: weights as safetensors, config as JSON."""
    out = export(checkpoint, output_dir)
    print(f"exported {checkpoint} -> {out / WEIGHTS_FILE}, {out / CONFIG_FILE}")
    return 0


def _read_checkpoint(path: Path) -> dict[str, Any]:
    import torch

    if path.is_dir():
        raise InputError(path, None, "is a directory, expected a checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise InputError(path, None, f"not a readable checkpoint ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''})") from None


def _class_from_hparams(path: Path, hparams: dict[str, Any]) -> type:
    class_path = hparams.get("_class_path")
    if not class_path:
        raise InputError(path, "hyper_parameters", "no model class recorded (not written by a seqkit command); "
                         "pass model_class=")
    return _import_class(path, class_path)


def _import_class(path: Path, class_path: str) -> type:
    if not class_path.startswith("seqkit."):
        raise InputError(path, "class_path", f"{class_path!r} is not a seqkit model; refusing to import it")
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise InputError(path, "class_path", f"{class_path!r} cannot be imported") from None


def _export_config(folder: Path) -> dict[str, Any]:
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise InputError(folder, None, f"is a directory without {CONFIG_FILE}: expected a checkpoint file (.ckpt) or a "
                         "folder written by `export`")
    config = json.loads(config_path.read_text())
    if config.get("format") != EXPORT_FORMAT:
        raise InputError(config_path, "format", f"expected {EXPORT_FORMAT!r}, got {config.get('format')!r}")
    return config


def _load_export(folder: Path, device: Any, model_class: type | None) -> Any:
    from safetensors.torch import load_model

    config = _export_config(folder)
    cls = model_class or _import_class(folder / CONFIG_FILE, config["class_path"])
    model = cls(**config["hyper_parameters"])
    load_model(model, str(folder / WEIGHTS_FILE), strict=True, device=str(device))
    return model.to(device).eval()
