"""S4D: a diagonal linear state-space layer applied as a long convolution (Gu et al. 2022).

Each channel runs its own diagonal SSM with N/2 complex-conjugate pairs of modes. Discretised with
zero-order hold, the SSM is a linear time-invariant filter whose impulse response (the kernel) is a
Vandermonde product, so the whole sequence is processed with one FFT convolution in O(L log L);
decoding runs the same SSM as a recurrence in O(1) per token. Layer: y = K * u + D·u, then
``output_linear(dropout(gelu(y)))``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.kernels.segments import segment_start_index
from seqkit.mixers.base import MixerState, TokenMixer

_INITS = ("lin", "inv", "real")


def _init_A(init: str, d_model: int, n_modes: int, d_state: int) -> tuple[Tensor, Tensor]:
    """Real and imaginary parts of A, each (D, N/2), for the S4D-Lin / -Inv / -Real initialisations."""
    n = torch.arange(n_modes, dtype=torch.float64)
    if init == "lin":  # A_n = -1/2 + i·π·n
        real, imag = torch.full_like(n, -0.5), math.pi * n
    elif init == "inv":  # A_n = -1/2 + i·(N/π)·(N/(2n+1) - 1)
        real, imag = torch.full_like(n, -0.5), (d_state / math.pi) * (d_state / (2 * n + 1) - 1)
    else:  # "real": A_n = -(n+1)
        real, imag = -(n + 1), torch.zeros_like(n)
    return real.float().expand(d_model, n_modes).clone(), imag.float().expand(d_model, n_modes).clone()


def _powers(dtA: Tensor, length: int, offset: int = 0) -> Tensor:
    """Vandermonde matrix exp(dtA·(l + offset)) for l < length: (D, N/2) -> (D, N/2, length)."""
    steps = torch.arange(offset, offset + length, device=dtA.device, dtype=dtA.real.dtype)
    return torch.exp(dtA[..., None] * steps)


def _fft_conv(u: Tensor, k: Tensor) -> Tensor:
    """Causal convolution y_t = Σ_{j≤t} k_{t-j} u_j over the last dim; u (..., D, L), k (D, L)."""
    length = u.shape[-1]
    n = 2 * length  # zero-pad to 2L so the circular convolution equals the linear one
    y = torch.fft.irfft(torch.fft.rfft(u, n=n) * torch.fft.rfft(k, n=n), n=n)  # (..., D, 2L)
    return y[..., :length]


class S4D(TokenMixer):
    """Diagonal state-space mixer (S4D) with FFT-convolution training and recurrent decoding.

    Per channel d and mode n: continuous A_n (Re < 0, stored as log(-Re A) and Im A), B_n = 1 (fixed,
    as in S4D), learned complex C_n, step dt_d (stored as log dt). ZOH gives dA = exp(dt·A) and
    dB = (exp(dt·A) - 1)/A·B; the kernel is K_l = 2·Re Σ_n C_n dB_n dA_n^l (N/2 modes plus their
    conjugates, hence the factor 2).

    ``bidirectional=True`` adds a second C (``C_reverse``) whose kernel runs anticausally (over the
    flipped sequence); both directions are summed. Such an instance needs ``causal=False`` and cannot
    decode. A unidirectional S4D is causal by construction: ``causal=False`` runs the same causal
    convolution (``can_look_ahead`` is False). ``positions`` is ignored: the layer is shift-invariant.
    """

    def __init__(self, d_model: int, d_state: int = 64, init: str = "inv", bidirectional: bool = False,
                 dt_min: float = 1e-3, dt_max: float = 0.1, dropout: float = 0.0) -> None:
        super().__init__()
        if isinstance(d_model, bool) or not isinstance(d_model, int) or d_model <= 0:
            raise ValueError(f"S4D: d_model must be a positive integer, got {d_model!r}")
        if isinstance(d_state, bool) or not isinstance(d_state, int) or d_state <= 0 or d_state % 2:
            raise ValueError(f"S4D: d_state must be a positive even integer (N/2 conjugate pairs of modes), "
                             f"got {d_state!r}")
        if init not in _INITS:
            raise ValueError(f"S4D: init must be one of {', '.join(map(repr, _INITS))}, got {init!r}")
        if not isinstance(bidirectional, bool):
            raise ValueError(f"S4D: bidirectional must be True or False, got {bidirectional!r}")
        if not (0 < dt_min <= dt_max):
            raise ValueError(f"S4D: dt_min and dt_max must satisfy 0 < dt_min <= dt_max, got dt_min={dt_min!r}, "
                             f"dt_max={dt_max!r}")
        if not (0.0 <= dropout < 1.0):
            raise ValueError(f"S4D: dropout must be in [0, 1), got {dropout!r}")

        self.d_model, self.d_state, self.init, self.bidirectional = d_model, d_state, init, bidirectional
        self.can_step = not bidirectional
        self.can_look_ahead = bidirectional
        #: how segment_ids are handled: "auto", "pad" or "subtract" (see ``_segmented_conv``); a test hook.
        self._segment_method = "auto"
        n_modes = d_state // 2

        log_dt = torch.rand(d_model) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        self.log_dt = nn.Parameter(log_dt)  # (D,)
        a_real, a_imag = _init_A(init, d_model, n_modes, d_state)
        self.log_A_real = nn.Parameter(torch.log(-a_real))  # (D, N/2): Re A = -exp(.) stays negative
        self.A_imag = nn.Parameter(a_imag)  # (D, N/2)
        self.C = nn.Parameter(torch.view_as_real(torch.randn(d_model, n_modes, dtype=torch.cfloat)))  # (D, N/2, 2)
        if bidirectional:
            self.C_reverse = nn.Parameter(
                torch.view_as_real(torch.randn(d_model, n_modes, dtype=torch.cfloat)))  # (D, N/2, 2)
        self.D = nn.Parameter(torch.randn(d_model))  # (D,) skip connection
        self.dropout = nn.Dropout(dropout)
        self.output_linear = nn.Linear(d_model, d_model)

    # ----------------------------------------------------------------------------------------- SSM
    def A(self) -> Tensor:
        """Continuous-time A, complex (D, N/2), with Re A = -exp(log_A_real) < 0."""
        return torch.complex(-torch.exp(_wide(self.log_A_real)), _wide(self.A_imag))

    def discretize(self) -> tuple[Tensor, Tensor, Tensor]:
        """ZOH discretisation: (dt·A, dA, dB), each complex (D, N/2), with B fixed to ones."""
        A = self.A()
        dtA = torch.exp(_wide(self.log_dt))[:, None] * A  # (D, N/2)
        dA = torch.exp(dtA)
        dB = torch.expm1(dtA) / A  # (exp(dt·A) - 1)/A · B, B = 1
        return dtA, dA, dB

    def kernel(self, length: int, reverse: bool = False) -> Tensor:
        """Convolution kernel K_l = 2·Re Σ_n C_n dB_n dA_n^l for l < length, real (D, length).

        ``reverse=True`` uses ``C_reverse`` (the anticausal kernel of a bidirectional instance).
        """
        dtA, _, dB = self.discretize()
        C = torch.view_as_complex(_wide(self.C_reverse if reverse else self.C))  # (D, N/2)
        return 2 * torch.einsum("dn,dnl->dl", C * dB, _powers(dtA, length)).real  # (D, L)

    # ------------------------------------------------------------------------------------- forward
    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        """Mix ``x`` (B, L, D) along L; ``segment_ids`` (B, L) restarts the SSM at every segment start.

        Packed rows give exactly what the segments give when run separately. ``positions`` is ignored.
        A bidirectional instance requires ``causal=False``; a unidirectional one is causal either way.
        """
        self.check_input(x, segment_ids, positions)
        if self.bidirectional and causal:
            raise ValueError("S4D: this mixer is bidirectional (it mixes in future tokens); call it with "
                             "causal=False, or build it with bidirectional=False for causal use")
        batch, length, _ = x.shape
        # FFTs need float32 or wider: bf16 inputs (or bf16 weights) compute in float32
        work = torch.promote_types(torch.promote_types(x.dtype, self.log_dt.dtype), torch.float32)
        u = x.to(work).transpose(1, 2)  # (B, D, L)

        y = self._conv(u, segment_ids, reverse=False)  # (B, D, L)
        if self.bidirectional:
            flipped = None if segment_ids is None else segment_ids.flip(1)
            y = y + self._conv(u.flip(-1), flipped, reverse=True).flip(-1)  # anticausal: flip, convolve, flip
        y = y + self.D[:, None].to(work) * u
        y = y.transpose(1, 2).to(x.dtype)  # (B, L, D)
        return self.output_linear(self.dropout(F.gelu(y)))

    def _conv(self, u: Tensor, segment_ids: Tensor | None, reverse: bool) -> Tensor:
        """Causal SSM convolution of u (B, D, L) with the forward or reverse kernel, segment-aware."""
        length = u.shape[-1]
        if segment_ids is None:
            return _fft_conv(u, self.kernel(length, reverse=reverse).to(u.dtype))
        return self._segmented_conv(u, segment_ids, reverse)

    def _segmented_conv(self, u: Tensor, segment_ids: Tensor, reverse: bool) -> Tensor:
        """y_t = Σ_{j ≤ t, same segment} K_{t-j} u_j, exactly, without a loop over L.

        Two exact methods, chosen by cost (both O(L log L)-type FFT work, no Python loop over tokens):

        * "pad": scatter every segment into its own zero-padded row (B·S rows of length P = longest
          segment) and FFT-convolve each row from a zero state; memory ∝ B·D·S·P.
        * "subtract": FFT-convolve the packed row, then remove what earlier segments leak into each
          segment. With the unreset modal state h_n(t) = Σ_{j≤t} dA_n^{t-j} dB_n u_j (one complex FFT
          convolution per mode), a token at offset p in a segment starting at s receives
          2·Re Σ_n C_n dA_n^{p+1} h_n(s-1) from before s; subtracting it restarts the SSM at s.
          Memory ∝ B·D·(N/2)·L, independent of how the segments are laid out.

        "auto" uses "pad" unless very uneven segments make S·P exceed N·L (e.g. one long segment plus
        many tiny ones), where "subtract" is cheaper.
        """
        length = u.shape[-1]
        steps = torch.arange(length, device=u.device)
        offset = steps - segment_start_index(segment_ids)  # (B, L) position inside the segment
        seg_index = torch.cumsum((offset == 0).long(), dim=1) - 1  # (B, L) segment number within its row
        n_segments = int(seg_index.max()) + 1
        longest = int(offset.max()) + 1
        method = self._segment_method
        if method == "auto":
            method = "pad" if n_segments * longest <= self.d_state * length else "subtract"
        if method == "pad":
            return self._conv_padded(u, seg_index, offset, n_segments, longest, reverse)
        if method == "subtract":
            return self._conv_subtract(u, offset, reverse)
        raise ValueError(f"S4D: _segment_method must be 'auto', 'pad' or 'subtract', got {method!r}")

    def _conv_padded(self, u: Tensor, seg_index: Tensor, offset: Tensor, n_segments: int, longest: int,
                     reverse: bool) -> Tensor:
        batch, d, length = u.shape
        rows = torch.arange(batch, device=u.device)[:, None].expand(batch, length)  # (B, L)
        tokens = u.transpose(1, 2)  # (B, L, D)
        padded = tokens.new_zeros(batch, n_segments, longest, d)
        padded = padded.index_put((rows, seg_index, offset), tokens)  # (B, S, P, D)
        k = self.kernel(longest, reverse=reverse).to(u.dtype)  # (D, P)
        y = _fft_conv(padded.transpose(2, 3), k).transpose(2, 3)  # (B, S, P, D)
        return y[rows, seg_index, offset].transpose(1, 2)  # (B, D, L)

    def _conv_subtract(self, u: Tensor, offset: Tensor, reverse: bool) -> Tensor:
        batch, d, length = u.shape
        dtA, _, dB = self.discretize()
        C = torch.view_as_complex(_wide(self.C_reverse if reverse else self.C))  # (D, N/2)
        n_modes = C.shape[-1]
        powers = _powers(dtA, length)  # (D, N/2, L): dA^l
        k = 2 * torch.einsum("dn,dnl->dl", C * dB, powers).real.to(u.dtype)  # (D, L)
        y = _fft_conv(u, k)  # (B, D, L), the packed row convolved as one sequence

        # Unreset modal states h_n(t) = Σ_{j≤t} dA^{t-j} dB u_j via one complex FFT convolution per mode.
        n = 2 * length
        state_kernel = torch.fft.fft(dB[..., None] * powers, n=n)  # (D, N/2, 2L)
        h = torch.fft.ifft(torch.fft.fft(u, n=n)[:, :, None, :] * state_kernel, n=n)[..., :length]  # (B, D, N/2, L)

        steps = torch.arange(length, device=u.device)
        before_start = steps - offset - 1  # (B, L) index of the token just before each token's segment
        index = before_start.clamp(min=0)[:, None, None, :].expand(batch, d, n_modes, length)
        h_prev = torch.gather(h, 3, index) * (before_start >= 0)[:, None, None, :]  # (B, D, N/2, L)
        decay = _powers(dtA, length, offset=1)[:, :, offset].permute(2, 0, 1, 3)  # (B, D, N/2, L): dA^{p+1}
        leak = 2 * torch.einsum("dn,bdnl->bdl", C, decay * h_prev).real  # (B, D, L)
        return y - leak.to(u.dtype)

    # -------------------------------------------------------------------------------------- decode
    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> MixerState:
        """Zero modal state ``{"h": complex (B, D, N/2)}``; ``dtype`` is the real dtype (complex matches)."""
        self._require_step()
        real = dtype if dtype is not None else self.log_dt.dtype
        complex_dtype = torch.complex128 if real == torch.float64 else torch.complex64
        device = device if device is not None else self.log_dt.device
        return {"h": torch.zeros(batch_size, self.d_model, self.d_state // 2, dtype=complex_dtype, device=device)}

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        """One token: h = dA·h + dB·u_t, y = 2·Re Σ_n C_n h_n + D·u_t, then gelu and output_linear."""
        self._require_step()
        self.check_step_input(x_t)
        _, dA, dB = self.discretize()
        C = torch.view_as_complex(_wide(self.C))  # (D, N/2)
        h = state["h"]
        u = x_t.to(h.real.dtype)  # (B, D)
        h = dA * h + dB * u[..., None]  # (B, D, N/2)
        y = 2 * (C * h).sum(-1).real + self.D * u  # (B, D)
        out = self.output_linear(self.dropout(F.gelu(y.to(x_t.dtype))))
        return out, {"h": h}

    def _require_step(self) -> None:
        if not self.can_step:
            raise NotImplementedError("S4D: a bidirectional S4D looks at future tokens and cannot decode token "
                                      "by token; build it with bidirectional=False to use init_state/step")


def _wide(t: Tensor) -> Tensor:
    """``t`` in float32 or wider: complex numbers and FFTs need it, so bf16/fp16 parameters compute in float32."""
    return t.to(torch.promote_types(t.dtype, torch.float32))
