"""DeepSEM as a pure nn.Module: an ENSEMBLE of S independent members evaluated in one batched pass.

Every parameter carries a leading member dimension ``S``. Member ``s`` is exactly the published model:

* encoder: one MLP shared by all genes, applied to each (cell, gene) value: 1 -> h -> h -> (mu, logvar), tanh;
* GRN layer: ``mu @ (I - W^T)``, ``logvar @ (I - W^T)``; reparameterise ``z = mu + eps * sigma``;
* decoder: ``z @ (I - W^T)^-1``, then a shared per-gene MLP h -> h -> 1 (tanh);
* ``W[target, source]`` with a diagonal fixed at 0, prior N(0, I).

The per-gene MLPs are the hot path (cells x genes tokens, each of width h). :class:`TokenMLP` runs them chunk
by chunk so intermediates stay in cache, keeps the activations it needs in reusable buffers and computes
only the gradients that are asked for (the W-only epochs need none of the weight gradients).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _TokenMLPFn(torch.autograd.Function):
    """out = tanh(tanh(u*w1 + b1) @ w2 + b2) @ w3 + b3 over tokens, batched over members.

    u: (S or 1, N); w1, b1: (S, h); w2: (S, h, h); b2: (S, h); w3: (S, h, k); b3: (S, k). Returns (S, N, k).

    tanh(p) = 2*sigmoid(2p) - 1, and torch's CPU sigmoid is several times faster than its tanh. Only s =
    sigmoid(2p) is ever materialised: the affine map 2s - 1 is folded into the next layer's weights
    (a @ w + b = s @ 2w + (b - colsum(w))), and in the backward pass d tanh/dp = 4 s (1 - s), the 4 folded
    into the propagated weights and the -1 into the bias gradient. Per layer and chunk that is one matmul
    (or rank-1 update) with bias and one in-place sigmoid forward; one matmul, one in-place s(1-s) and one
    in-place product backward, with no temporaries.
    """

    @staticmethod
    def forward(ctx, u, w1, b1, w2, b2, w3, b3, chunk, buffers, save):
        S, h = w1.shape
        k = w3.shape[2]
        n = u.shape[1]
        n_chunks = max(1, math.ceil(n / chunk))
        out = u.new_empty(S, n, k)
        if save:
            s1_all = buffers.get("s1", (n_chunks, S, chunk, h), u)
            s2_all = buffers.get("s2", (n_chunks, S, chunk, h), u)
        else:
            t1 = buffers.get("t1", (S, chunk, h), u)
            t2 = buffers.get("t2", (S, chunk, h), u)
        b1e, w1e = 2.0 * b1[:, None, :], 2.0 * w1[:, None, :]
        w2e, b2e = 4.0 * w2, (2.0 * (b2 - w2.sum(1)))[:, None, :]
        w3e, b3e = 2.0 * w3, (b3 - w3.sum(1))[:, None, :]
        for c in range(n_chunks):
            lo, hi = c * chunk, min(n, (c + 1) * chunk)
            s1 = (s1_all[c] if save else t1)[:, : hi - lo]
            s2 = (s2_all[c] if save else t2)[:, : hi - lo]
            torch.addcmul(b1e, u[:, lo:hi, None], w1e, out=s1).sigmoid_()
            torch.baddbmm(b2e, s1, w2e, out=s2).sigmoid_()
            out[:, lo:hi] = torch.baddbmm(b3e, s2, w3e)
        ctx.chunk, ctx.n_chunks, ctx.n = chunk, n_chunks, n
        if save:
            ctx.save_for_backward(u, w1, w2, w3)
            ctx.acts = (s1_all, s2_all)
            ctx.buffers = buffers
        return out

    @staticmethod
    def backward(ctx, g_out):
        u, w1, w2, w3 = ctx.saved_tensors
        s1_all, s2_all = ctx.acts
        need = ctx.needs_input_grad
        chunk, n = ctx.chunk, ctx.n
        S, h = w1.shape
        k = w3.shape[2]
        du = torch.empty(S, n, device=u.device, dtype=u.dtype) if need[0] else None
        dw1 = torch.zeros_like(w1) if need[1] else None
        db1 = torch.zeros_like(w1) if need[1] or need[2] else None
        dw2 = torch.zeros_like(w2) if need[3] else None
        db2 = torch.zeros_like(w1) if need[3] or need[4] else None
        dw3 = torch.zeros_like(w3) if need[5] else None
        db3 = torch.zeros(S, k, device=u.device, dtype=u.dtype) if need[5] or need[6] else None
        w3t4, w2t4, w1c = 4.0 * w3.mT, 4.0 * w2.mT, w1[:, :, None]
        g_out = g_out.contiguous()
        gp2_buf = ctx.buffers.get("gp2", (S, chunk, h), u)
        gp1_buf = ctx.buffers.get("gp1", (S, chunk, h), u)
        for c in range(ctx.n_chunks):
            lo, hi = c * chunk, min(n, (c + 1) * chunk)
            s1, s2 = s1_all[c, :, : hi - lo], s2_all[c, :, : hi - lo]
            g = g_out[:, lo:hi]
            if dw3 is not None:
                dw3.baddbmm_(s2.mT, g)  # sum s2^T g; corrected to a2^T g = 2 s2^T g - colsum(g) below
            if db3 is not None:
                db3 += g.sum(1)
            gp2 = torch.bmm(g, w3t4, out=gp2_buf[:, : hi - lo])
            gp2.mul_(s2.addcmul_(s2, s2, value=-1.0))  # * 4 s2 (1 - s2), the 4 in w3t4
            if dw2 is not None:
                dw2.baddbmm_(s1.mT, gp2)
            if db2 is not None:
                db2 += gp2.sum(1)
            gp1 = torch.bmm(gp2, w2t4, out=gp1_buf[:, : hi - lo])
            gp1.mul_(s1.addcmul_(s1, s1, value=-1.0))
            if dw1 is not None:
                dw1 += torch.matmul(u[:, None, lo:hi], gp1).squeeze(1)
            if db1 is not None:
                db1 += gp1.sum(1)
            if du is not None:
                du[:, lo:hi] = torch.bmm(gp1, w1c).squeeze(2)
        if dw3 is not None:
            dw3.mul_(2.0).sub_(db3[:, None, :])
        if dw2 is not None:
            dw2.mul_(2.0).sub_(db2[:, None, :])
        ctx.acts = ctx.buffers = None
        return du, dw1, db1 if need[2] else None, dw2, db2 if need[4] else None, dw3, db3 if need[6] else None, \
            None, None, None


def per_member_linalg(fn, a: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    """``fn(a, *args)`` over the leading member dimension; on the CPU one member at a time.

    torch runs a batched LAPACK call on the CPU as a parallel loop of MKL calls that are themselves threaded;
    after ``torch.set_num_threads`` that nesting made MKL fail ("Parameter 6 was incorrect on entry to SLASWP")
    and crawl (10 members on mDC). A Python loop keeps each LU on MKL's own threads and costs nothing measurable.
    """
    if a.device.type != "cpu" or a.shape[0] == 1:
        return fn(a, *args, **kwargs)
    # unbind, not a[s]: the backward of S selects would zero-fill S full (S, G, G) gradients
    per_arg = [t.unbind(0) if t.shape[0] == a.shape[0] else [t[0]] * a.shape[0] for t in args]
    return torch.stack([fn(a_s, *(p[s] for p in per_arg), **kwargs) for s, a_s in enumerate(a.unbind(0))])


class _ApplyInverse(torch.autograd.Function):
    """y = z @ X where X = A^-1 is supplied (kept up to date by :func:`refine_inverse`), with the gradients of
    z @ A^-1: dz = g X^T, dA = -X^T z^T g X^T = -y^T (g X^T). z: (S, B, G); a (or None), x_inv: (S, G, G)."""

    @staticmethod
    def forward(ctx, z, a, x_inv):
        y = torch.bmm(z, x_inv)
        ctx.save_for_backward(y, x_inv)
        return y

    @staticmethod
    def backward(ctx, g):
        y, x_inv = ctx.saved_tensors
        gz = torch.bmm(g, x_inv.mT)
        ga = -torch.bmm(y.mT, gz) if ctx.needs_input_grad[1] else None
        return gz, ga, None


@torch.no_grad()
def refine_inverse(a: torch.Tensor, x: torch.Tensor, tol: float = 1e-5, max_iter: int = 8) -> torch.Tensor:
    """A^-1 from a nearby inverse ``x`` by Newton-Schulz steps X <- X + X (I - A X) (quadratic convergence while
    max|I - A X| < 1); stops at max|I - A X| < ``tol`` (float32: about what an LU inverse leaves) and falls back
    to an LU inverse when the steps diverge or stall above 10 x ``tol``. For the W-only epochs on a GPU, where W moves a little
    per step and two batched matmuls per step are far cheaper than a batched LU."""
    eye = torch.eye(a.shape[-1], device=a.device, dtype=a.dtype)
    best = float("inf")
    for _ in range(max_iter):
        r = eye - torch.bmm(a, x)
        err = float(r.abs().amax())
        if err < tol:
            return x
        if err > 0.5 or err > 0.5 * best:  # too far, or stalled at the float floor
            break
        best = err
        x = torch.baddbmm(x, x, r)
    r = eye - torch.bmm(a, x)
    if float(r.abs().amax()) < 10 * tol:
        return x
    return per_member_linalg(torch.linalg.inv, a)


class _Buffers:
    """Reusable activation buffers (big allocations are slow on CPU: fresh pages for every batch)."""

    def __init__(self) -> None:
        self._store: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        buf = self._store.get(name)
        numel = math.prod(shape)
        if buf is None or buf.numel() < numel or buf.device != like.device or buf.dtype != like.dtype:
            buf = torch.empty(numel, device=like.device, dtype=like.dtype)
            self._store[name] = buf
        return buf[:numel].view(shape)


def _xavier(gen: torch.Generator, fan_in: int, fan_out: int, shape: tuple[int, ...]) -> torch.Tensor:
    std = math.sqrt(2.0 / (fan_in + fan_out))
    return torch.randn(shape, generator=gen) * std


class TokenMLP(nn.Module):
    """Per-gene MLP 1 -> h -> h -> k shared by all genes, one independent copy per ensemble member."""

    def __init__(self, n_members: int, hidden: int, n_out: int, seeds: list[int], chunk_bytes: int = 1 << 23):
        super().__init__()
        S, h = n_members, hidden
        gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
        self.w1 = nn.Parameter(torch.stack([_xavier(g, 1, h, (h,)) for g in gens]))
        self.b1 = nn.Parameter(torch.zeros(S, h))
        self.w2 = nn.Parameter(torch.stack([_xavier(g, h, h, (h, h)) for g in gens]))
        self.b2 = nn.Parameter(torch.zeros(S, h))
        # each output is its own Linear(h, 1) in the published model: Xavier with fan_out = 1
        self.w3 = nn.Parameter(torch.stack([_xavier(g, h, 1, (h, n_out)) for g in gens]))
        self.b3 = nn.Parameter(torch.zeros(S, n_out))
        self.chunk_bytes = chunk_bytes
        self.min_chunk = 256  # tokens per member
        self._buffers_ws = _Buffers()

    def forward(self, u: torch.Tensor, member: int | None = None) -> torch.Tensor:
        """u: (S or 1, N) token values -> (S, N, k); ``member`` evaluates that member only (S = 1)."""
        params = (self.w1, self.b1, self.w2, self.b2, self.w3, self.b3)
        if member is not None:
            params = tuple(p[member : member + 1] for p in params)
        S, h = params[0].shape
        # CPU: cache-sized chunks; GPU: one chunk (kernel launches, not cache, are the limit there)
        chunk = max(self.min_chunk, self.chunk_bytes // (4 * S * h)) if u.device.type == "cpu" else max(1, u.shape[1])
        save = torch.is_grad_enabled() and (u.requires_grad or any(p.requires_grad for p in params))
        return _TokenMLPFn.apply(u, *params, chunk, self._buffers_ws, save)


class DeepSEMModule(nn.Module):
    """S DeepSEM members over ``n_genes`` genes. ``W`` is (S, target, source)."""

    def __init__(self, n_genes: int, n_members: int = 1, hidden: int = 128, seed: int = 0, prior: str = "standard",
                 kl: str = "analytic", da_classifier: bool = False):
        super().__init__()
        if kl not in ("analytic", "mc"):
            raise ValueError(f"unknown KL estimator {kl!r}")
        self.kl = kl
        G, S = n_genes, n_members
        if G < 2:
            raise ValueError("DeepSEM needs at least 2 genes")
        seeds = [seed + s for s in range(S)]
        W = torch.empty(S, G, G)
        for s, sd in enumerate(seeds):
            g = torch.Generator().manual_seed(10_000 + sd)
            W[s] = 1.0 / (G - 1) + torch.rand(G, G, generator=g) * 2e-4
        # W's diagonal is exactly 0 and stays 0: its gradient is zeroed (see zero_grad_diagonal), so (I - W^T)
        # needs no mask on the hot path
        self.W = nn.Parameter(W * (1.0 - torch.eye(G)))
        self.encoder = TokenMLP(S, hidden, 2, [1000 + s for s in seeds])
        self.decoder = TokenMLP(S, hidden, 1, [2000 + s for s in seeds])
        self.n_genes, self.n_members, self.hidden = G, S, hidden
        if prior not in ("standard", "learned"):
            raise ValueError(f"unknown prior {prior!r}")
        self.prior = prior
        if prior == "learned":
            # the reference code's one-component GMM prior: per-gene mean and log-variance, each produced
            # by an MLP (Linear(1, h), tanh, Linear(h, G)) of the constant cluster indicator, then mixed by
            # (I - W^T) like the posterior
            gens = [torch.Generator().manual_seed(3000 + s) for s in seeds]
            self.prior_w1 = nn.Parameter(torch.stack([_xavier(g, 1, hidden, (2, hidden)) for g in gens]))
            self.prior_b1 = nn.Parameter(torch.zeros(S, 2, hidden))
            self.prior_w2 = nn.Parameter(torch.stack([_xavier(g, hidden, G, (2, hidden, G)) for g in gens]))
            self.prior_b2 = nn.Parameter(torch.zeros(S, 2, G))
        self.da_classifier = bool(da_classifier)
        if self.da_classifier:
            # DAZZLE's dropout-augmentation classifier: MLP(1 -> 1 -> 1 -> 1, tanh) of each mixed latent value,
            # one per member; Xavier-normal weights of a Linear(1, 1) have std 1, biases 0
            gens = [torch.Generator().manual_seed(4000 + s) for s in seeds]
            self.da_w = nn.Parameter(torch.stack([torch.randn(3, generator=g) for g in gens]))  # (S, 3)
            self.da_b = nn.Parameter(torch.zeros(S, 3))

    def prior_params(self, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Mixed prior (mean, logvar), each (S, 1, G); None for the standard N(0, I) prior."""
        if self.prior != "learned":
            return None
        hid = torch.tanh(self.prior_w1 + self.prior_b1)  # input = the constant 1
        out = torch.einsum("sch,schg->scg", hid, self.prior_w2) + self.prior_b2  # (S, 2, G)
        mixed = torch.bmm(out, a)
        return mixed[:, :1], mixed[:, 1:]

    # ---- pieces -------------------------------------------------------------------------------
    def grn_matrix(self) -> torch.Tensor:
        """A = I - W^T, (S, G, G) (W's diagonal is 0)."""
        eye = torch.eye(self.n_genes, device=self.W.device, dtype=self.W.dtype)
        return eye - self.W.mT

    def l1(self) -> torch.Tensor:
        """mean |W| per member, (S,)."""
        return self.W.abs().mean(dim=(1, 2))

    @torch.no_grad()
    def zero_grad_diagonal(self) -> None:
        """Call after backward: no self-loops, so W's diagonal never moves from 0."""
        if self.W.grad is not None:
            self.W.grad.diagonal(dim1=1, dim2=2).zero_()

    def encode(self, x: torch.Tensor, member: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, G) shared by all members -> unmixed (mu, logvar), each (S, B, G) (S = 1 for one member)."""
        B, G = x.shape
        out = self.encoder(x.reshape(1, B * G), member).view(-1, B, G, 2)
        return out[..., 0], out[..., 1]

    def decode(self, z, a=None, a_inv=None, member: int | None = None) -> torch.Tensor:
        """z: (S, B, G) in the mixed space -> reconstruction (S, B, G). Uses a_inv = (I - W^T)^-1 if given (with
        gradients to ``a`` when it requires them), else solves with a = I - W^T. With ``member``, z, a and a_inv
        hold that member only (S = 1)."""
        if a_inv is not None:  # gradients reach ``a`` only where it requires them (W-only epochs)
            zi = _ApplyInverse.apply(z, a, a_inv)
        else:
            zi = per_member_linalg(torch.linalg.solve, a, z, left=False)  # z @ A^-1, one LU per member
        S, B, G = zi.shape
        return self.decoder(zi.reshape(S, B * G), member).view(S, B, G)

    def da_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The dropout-augmentation classifier's logits for every (member, cell, gene) of z (S, B, G)."""
        w, b = self.da_w[:, :, None, None], self.da_b[:, :, None, None]
        h = torch.tanh(z * w[:, 0] + b[:, 0])
        h = torch.tanh(h * w[:, 1] + b[:, 1])
        return h * w[:, 2] + b[:, 2]

    @staticmethod
    def mix(t: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """(S or 1, B, G) @ (S, G, G)."""
        return torch.matmul(t, a)

    # ---- full pass ----------------------------------------------------------------------------
    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        *,
        enc: tuple[torch.Tensor, torch.Tensor] | None = None,
        a: torch.Tensor | None = None,
        a_inv: torch.Tensor | None = None,
        l1: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        injected: torch.Tensor | None = None,
        da_pos_weight: float = 1.0,
    ) -> dict[str, torch.Tensor]:
        """Per-member loss terms (each (S,)) for a batch x (B, G); ``mask`` restricts the MSE to its 1s.

        ``enc`` = precomputed unmixed encoder outputs (W-only epochs); ``a``, ``a_inv``, ``l1`` = I - W^T, its
        inverse and mean|W| computed once while W is frozen (network epochs). ``injected`` (bool (B, G), with
        the DAZZLE classifier): the entries of x zeroed by dropout augmentation; adds the term ``da``, the
        classifier's binary cross-entropy (positives weighted by ``da_pos_weight``), as DAZZLE does.
        """
        a = self.grn_matrix() if a is None else a
        mu0, lv0 = enc if enc is not None else self.encode(x)
        mu, lv = self.mix(mu0, a), self.mix(lv0, a)
        std = torch.sqrt(torch.exp(lv) + 1e-10)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + eps * std
        xhat = self.decode(z, a=a, a_inv=a_inv)
        err = (xhat - x.unsqueeze(0)).square()
        if mask is None:
            rec = err.mean(dim=(1, 2))
        else:
            m = mask.unsqueeze(0)
            rec = (err * m).sum(dim=(1, 2)) / m.sum().clamp_min(1.0)
        # analytic KL(N(mu, sigma^2) || N(0, 1)), averaged over cells and genes (the reference's scale)
        var = std.square()
        pp = self.prior_params(a)
        if self.kl == "mc":
            # the reference's one-sample estimate log q(z) - log p(z) (its variances get +1e-8)
            pm, plv = pp if pp is not None else (torch.zeros_like(mu[:, :1]), torch.zeros_like(mu[:, :1]))
            pvar = torch.exp(plv) + 1e-8
            kl = 0.5 * (torch.log(pvar) + (z - pm).square() / pvar
                        - torch.log(var + 1e-8) - (z - mu).square() / (var + 1e-8)).mean(dim=(1, 2))
        elif pp is None:
            kl = 0.5 * (mu.square() + var - torch.log(var) - 1.0).mean(dim=(1, 2))
        else:
            pm, plv = pp
            kl = 0.5 * (plv - torch.log(var) + (var + (mu - pm).square()) * torch.exp(-plv) - 1.0).mean(dim=(1, 2))
        l1 = self.l1() if l1 is None else l1
        out = {"rec": rec, "kl": kl, "l1": l1}
        if injected is not None:
            logits = self.da_logits(z)
            target = injected.to(logits.dtype).unsqueeze(0).expand_as(logits)
            pw = torch.as_tensor(da_pos_weight, dtype=logits.dtype, device=logits.device)
            out["da"] = nn.functional.binary_cross_entropy_with_logits(
                logits, target, pos_weight=pw, reduction="none").mean(dim=(1, 2))
        return out
