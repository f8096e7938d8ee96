"""What a cost model returns (each family's ``cost`` function, declared in its MethodSpec)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """The work of one run in matmul-equivalent ``flops`` (the family's FLOPs divided by the share of matmul
    speed its kernels reach, plus per-step overheads, both fitted on measured runs: time = flops / the
    machine's matmul FLOP/s), peak memory ``bytes`` (of which ``device_bytes`` live on the accelerator when one
    is used), and the epochs and members it counted."""

    flops: float
    bytes: float
    device_bytes: float = 0.0  # part of ``bytes`` that lives on the accelerator when one is used
    epochs: int = 1
    members: int = 1
