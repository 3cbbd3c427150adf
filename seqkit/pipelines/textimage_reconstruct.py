"""``seqkit-textimage reconstruct``: user images → their tokens (``.npy``) and the tokenizer's reconstructions.

Per image ``<name>``: ``<name>_tokens.npy`` (int64 (h, w) token indices, K bits each) and last
``<name>_reconstruction.png``, whose presence marks the image done, so a rerun skips it. With ``--ocr``
(and tesseract installed), ``legibility.csv`` gives the OCR character and word accuracy of the original and the
reconstruction against ``<name>.txt`` beside the image when there is one. An unreadable image or one of the
wrong size is skipped with its reason in ``skipped.csv`` and the rest go on.

    seqkit-textimage reconstruct --checkpoint runs/tokenizer/.../last.ckpt --output_dir recon/ scans/
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import torch

from seqkit.atomic_io import save_npy, write_table
from seqkit.commands.user_errors import InputError
from seqkit.data.video_files import write_png
from seqkit.domains.textimage.data import image_to_tensor, tensor_to_image
from seqkit.domains.textimage.image_folder import IMAGE_SUFFIXES, read_image
from seqkit.pipelines.file_batch import expand_inputs, run_file_batch


def reconstruct_command(inputs: list[str], checkpoint: str, output_dir: str, device: str = "cpu",
                        resize: bool = False, ocr: bool = False) -> int:
    """Tokenize and reconstruct images with a trained tokenizer; reruns skip finished images.

    Args:
        inputs: image files (PNG, JPEG, ...) or folders of them.
        resize: scale images of another size to the tokenizer's (otherwise they are skipped).
        ocr: also score OCR legibility of original and reconstruction against ``<image>.txt`` (tesseract).
    """
    from seqkit.domains.textimage.generator_module import load_tokenizer

    try:
        files, missing = expand_inputs(inputs, [f"*{s}" for s in IMAGE_SUFFIXES])
    except ValueError as err:
        raise InputError(", ".join(inputs), None, f"no images found ({err})") from None
    tokenizer = load_tokenizer(checkpoint).to(device)
    size = int(tokenizer.hparams.image_size)
    out = Path(output_dir)
    rows: list[dict] = []

    @torch.no_grad()
    def reconstruct(path: Path, png_path: Path) -> None:
        pixels = read_image(path, size, resize)
        reconstruction, indices, _ = tokenizer(image_to_tensor(pixels)[None].to(device))
        save_npy(out / f"{path.stem}_tokens.npy", indices[0].cpu().numpy())
        image = tensor_to_image(reconstruction[0])
        if ocr and path.with_suffix(".txt").exists():
            from seqkit.domains.textimage.ocr import legibility, read_text
            text = path.with_suffix(".txt").read_text(encoding="utf-8")
            original, rebuilt = legibility(text, read_text(pixels)), legibility(text, read_text(image))
            rows.append({"image": path.name, "original_characters": original.characters,
                         "original_words": original.words, "reconstruction_characters": rebuilt.characters,
                         "reconstruction_words": rebuilt.words})
        write_png(png_path, image)  # last: marks the image done

    report = run_file_batch(files, lambda p: out / f"{p.stem}_reconstruction.png", reconstruct, out / "skipped.csv",
                            desc="reconstructing", missing=missing)
    if rows:
        write_table(pd.DataFrame(rows), out / "legibility.csv")
    print(f"{len(report.done)} reconstructed, {len(report.skipped)} already done, {len(report.failed)} skipped"
          + (f" (listed in {out / 'skipped.csv'})" if report.failed else ""))
    for path, reason in report.failed:
        print(f"  {reason if str(path) in reason else f'{path}: {reason}'}", file=sys.stderr)
    return 1 if report.failed and not report.done and not report.skipped else 0
