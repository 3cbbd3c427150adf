"""``seqkit-synthetic``: train and compare backbones on seeded long-range tasks (selective copying, MQAR, passkey)."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand

COMMAND = DomainCommand(
    prog="seqkit-synthetic",
    package="seqkit.domains.synthetic",
    summary="Train and compare sequence backbones (Mamba-2, S4D, attention, sliding window, ...) on seeded "
            "synthetic tasks that need long-range memory: selective copying, multi-query associative recall "
            "and passkey retrieval, at any length. The data is generated, so every command runs offline.",
    examples=(
        "seqkit-synthetic fit --trainer.default_root_dir=runs/demo",
        "seqkit-synthetic fit --data.init_args.task=mqar --data.init_args.seq_len=1024",
        "seqkit-synthetic fit --trainer.default_root_dir=runs/demo --ckpt_path=last   # resume",
        "seqkit-synthetic test --trainer.default_root_dir=runs/demo --ckpt_path=best",
        "seqkit-synthetic predict --trainer.default_root_dir=runs/demo --ckpt_path=last",
    ),
    links=(("data.vocab_size", "model.init_args.vocab_size"), ("data.seq_len", "model.init_args.seq_len")),
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
