"""``seqkit-forecast``: Informer time-series forecasting (ProbSparse attention or an SSM encoder)."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand
from seqkit.commands.tool_arguments import Tool

COMMAND = DomainCommand(
    prog="seqkit-forecast",
    package="seqkit.domains.forecast",
    summary="Forecast time series with Informer (ProbSparse self-attention, distilling, generative decoder) or a "
            "Mamba-2 encoder in the same head. Reads ETT-style wide CSV/Parquet files or long panels "
            "(unique_id, ds, y); `test` reports MSE/MAE per horizon step; `predict` and `batch` write dated "
            "forecasts (CSV/Parquet) and plots.",
    examples=(
        "seqkit-forecast fit -c etth1_M_24.yaml            # the Informer paper's ETTh1 setting",
        "seqkit-forecast test -c etth1_M_24.yaml --ckpt_path=best",
        "seqkit-forecast fit --data.init_args.path=my_series.csv --data.init_args.target=load",
        "seqkit-forecast batch --checkpoint runs/etth1_M_24/etth1_M_24/checkpoints/last.ckpt "
        "--output_dir forecasts/ sites/*.csv",
    ),
    links=tuple((f"data.{name}", f"model.init_args.{name}")
                for name in ("enc_in", "c_out", "seq_len", "label_len", "pred_len", "embed", "freq", "columns")),
    callbacks={"forecast_writer": "seqkit.domains.forecast.forecast_writer:ForecastWriter"},
    tools=(Tool("batch", "seqkit.pipelines.forecast_files:batch_command",
                "forecast many files with one checkpoint, one output per input; resumable, sharded",
                shared=("checkpoint", "output_dir", "shard", "device", "seed"), positional=True),),
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
