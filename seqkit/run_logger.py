"""A CSV logger for a stable run folder: ``<save_dir>/<run_name>/metrics.csv``, appended across invocations.

Lightning's CSV logger deletes an existing ``metrics.csv`` when it starts; a resumed fit, or a ``test``
after ``fit`` in the same run folder, should add to it instead. ``fresh=True`` (a fit that does not resume)
starts the file over, as Lightning does.
"""

from __future__ import annotations

import csv
import os
from typing import Any

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter


class AppendingExperimentWriter(ExperimentWriter):
    """Keeps an existing ``metrics.csv`` (and its columns) unless ``fresh``."""

    def __init__(self, log_dir: str, fresh: bool) -> None:
        self.fresh = fresh
        super().__init__(log_dir=log_dir)

    def _check_log_dir_exists(self) -> None:
        if self.fresh:
            super()._check_log_dir_exists()
        elif os.path.isfile(self.metrics_file_path):
            with open(self.metrics_file_path, newline="") as fh:
                self.metrics_keys = list(next(csv.reader(fh), []))


class RunLogger(CSVLogger):
    """CSVLogger whose folder is ``<save_dir>/<run_name>`` (no ``version_N``) and whose metrics file survives."""

    def __init__(self, save_dir: str, run_name: str, fresh: bool = False) -> None:
        super().__init__(save_dir=save_dir, name="", version=run_name)
        self.fresh = fresh

    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingExperimentWriter(log_dir=self.log_dir, fresh=self.fresh)
        return self._experiment
