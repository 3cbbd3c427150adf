# Every target installs what it needs, so each works on a fresh machine.
PY ?= python

.PHONY: demo test lint bench
demo:  ## install and run the main job: train on the embedded synthetic task, leave a checkpoint and a plot
	$(PY) -m pip install -e . && seqkit-synthetic fit --trainer.default_root_dir=runs/demo

test:  ## install with dev extras and run the whole test suite (what CI runs)
	bash .ci/run

lint:
	ruff check seqkit tests benchmarks tools

bench:
	$(PY) benchmarks/mixers.py
