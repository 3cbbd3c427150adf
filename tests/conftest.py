"""Tests use one torch thread: tiny ops on a shared 2-core machine stall with two OpenMP threads."""

import torch

torch.set_num_threads(1)
