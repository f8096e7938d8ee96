"""CaTran network (pure ``nn.Module``): gene embeddings whose attention map is the gene regulatory network.

Architecture (Causal Transformer, CausalBench challenge; authors' code github.com/artemy-bakulin/causal):

* every gene ``g`` has a learnable embedding ``e_g`` (``embed_dim``, 40 in the paper);
* attention ``A[l, j] = softmax_j((W_q e_l) . (W_k e_j))`` -- for each TARGET ``l`` a distribution over its
  SOURCES ``j`` (softmax over incoming edges); this soft adjacency is the GRN;
* token of (cell, gene) = ``[value || e_g]`` -> linear + batch norm (no activation);
* attention block: tokens mixed with ``A`` (``h_l = sum_j A[l, j] t_j``), batch norm, linear, batch norm, SiLU;
* output head: linear, SiLU, linear -> one predicted value per (cell, gene).

Parameter count = ``embed_dim * n_genes`` + a constant (8,734 for ``embed_dim=40``), i.e. about
9000 + 40 * genes as the paper states. Linear weights start from N(0, 1e-3) (batch norms at identity).
Departures from the paper, measured on the project's simulator: the diagonal of the attention is masked
(``self_loops=False``: a gene is predicted from the other genes only, otherwise the attention collapses on
self / gene-identity shortcuts), embeddings start from N(0, 0.1) as in the authors' code and query/key
from identity + N(0, 1e-3), so the initial attention logits are the authors' plain embedding dot products.
"""

from __future__ import annotations

import torch
from torch import nn


class TokenBatchNorm(nn.Module):
    """Batch norm over the channel axis of ``(cells, genes, channels)`` tokens (statistics over cells x genes)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(x.reshape(-1, x.shape[-1])).reshape(x.shape)


class CaTranModule(nn.Module):
    def __init__(
        self, n_genes: int, embed_dim: int = 40, init_std: float = 1e-3, embed_init_std: float = 0.1, self_loops: bool = False
    ):
        super().__init__()
        self.embed_init_std = float(embed_init_std)
        self.self_loops = bool(self_loops)
        d, c = int(embed_dim), int(embed_dim) + 1
        self.n_genes = int(n_genes)
        self.embed_dim = d
        self.embedding = nn.Embedding(self.n_genes, d)
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.token = nn.Linear(c, c)
        self.token_bn = TokenBatchNorm(c)
        self.mix_bn = TokenBatchNorm(c)
        self.mix_linear = nn.Linear(c, c)
        self.mix_bn2 = TokenBatchNorm(c)
        self.head1 = nn.Linear(c, c)
        self.head2 = nn.Linear(c, 1)
        self.act = nn.SiLU()
        # optional candidate regulators: bool over genes; when set, only these genes are attention SOURCES
        self.register_buffer("source_mask", None, persistent=False)
        self.reset_parameters(init_std)

    def set_sources(self, mask: torch.Tensor | None) -> None:
        """Restrict the attention's sources to the genes where ``mask`` (bool, n_genes) is True; None = all genes.

        The softmax of each target then runs over its incoming edges from candidate regulators only (e.g. TFs),
        so no attention mass (and no reconstruction capacity) goes to sources that can never be reported.
        """
        if mask is not None:
            mask = torch.as_tensor(mask, dtype=torch.bool, device=self.embedding.weight.device).flatten()
            if mask.shape != (self.n_genes,):
                raise ValueError(f"source mask must have {self.n_genes} entries, got {tuple(mask.shape)}")
        self.source_mask = mask

    def reset_parameters(self, std: float = 1e-3) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, std)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm1d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # embeddings N(0, 0.1) and query/key = identity + N(0, std): the initial logits are the plain embedding
        # dot products of the authors' code (with every weight at N(0, 1e-3) the logits start ~1e-9 and the
        # attention stays uniform for hundreds of Lion steps; measured, see bench/grn_interventional.py notes)
        nn.init.normal_(self.embedding.weight, 0.0, self.embed_init_std)
        with torch.no_grad():
            self.query.weight.add_(torch.eye(self.embed_dim))
            self.key.weight.add_(torch.eye(self.embed_dim))

    def attention(self, gene_idx: torch.Tensor | None = None) -> torch.Tensor:
        """``A[target, source]`` among ``gene_idx`` (all genes when None); each row sums to 1.

        Sources are the other genes (``self_loops=False``) that are in ``source_mask`` (when set); a row with no
        allowed source (e.g. the only candidate regulator of the subset, without self-loops) is all zeros.
        """
        if gene_idx is None:
            gene_idx = torch.arange(self.n_genes, device=self.embedding.weight.device)
        e = self.embedding(gene_idx)
        logits = self.query(e) @ self.key(e).T
        n = len(gene_idx)
        blocked = torch.zeros(n, n, dtype=torch.bool, device=logits.device)
        if not self.self_loops:  # a gene is predicted from the OTHER genes only
            blocked |= torch.eye(n, dtype=torch.bool, device=logits.device)
        if self.source_mask is not None:
            blocked |= ~self.source_mask[gene_idx].to(logits.device)[None, :]
        if not blocked.any():
            return torch.softmax(logits, dim=-1)
        empty = blocked.all(dim=1, keepdim=True)  # no source at all: zeros (masked before softmax: no NaN)
        attn = torch.softmax(logits.masked_fill(blocked & ~empty, float("-inf")), dim=-1)
        return attn.masked_fill(blocked, 0.0)

    def forward(self, x: torch.Tensor, gene_idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predict every value of ``x`` (cells x genes in ``gene_idx``); returns (predictions, attention).

        Computed in factored form, the same function as the layer-by-layer description: up to the first SiLU every
        (cell, gene, channel) activation is ``y[cell, gene] * u[channel] + V[gene, channel]`` (the token is
        ``value * w_0 + f(embedding)``; batch norm is a per-channel affine map, the attention mixes genes linearly
        and the linear layer mixes channels), so the attention mixes one value per (cell, gene) instead of
        ``embed_dim + 1`` channels, and the batch-norm statistics come from ``y``'s moments. Only the SiLU input
        is materialised. ``tests/test_catran.py`` checks outputs, gradients and running statistics against the
        layer-by-layer computation.
        """
        attn = self.attention(gene_idx)
        w = self.token.weight
        u, V = w[:, 0], self.embedding(gene_idx) @ w[:, 1:].T + self.token.bias  # token = x * u + V
        y = x
        u, V = _affine_batch_norm(self.token_bn.bn, y, u, V)
        y, V = y @ attn.T, attn @ V  # mix genes: y[b, l] = sum_j A[l, j] x[b, j]
        u, V = _affine_batch_norm(self.mix_bn.bn, y, u, V)
        lin = self.mix_linear
        u, V = lin.weight @ u, V @ lin.weight.T + lin.bias
        u, V = _affine_batch_norm(self.mix_bn2.bn, y, u, V)
        h = self.act(torch.addcmul(V, y.unsqueeze(-1), u))
        out = self.head2(self.act(self.head1(h))).squeeze(-1)
        return out, attn


def _affine_batch_norm(bn: nn.BatchNorm1d, y: torch.Tensor, u: torch.Tensor, V: torch.Tensor):
    """``bn`` applied to Z[b, l, c] = y[b, l] u[c] + V[l, c] (statistics over b and l), returned as (u', V') with
    bn(Z) = y u' + V'. Same semantics as ``nn.BatchNorm1d`` on the flattened tokens: batch statistics (biased
    variance) in training, running statistics updated with the unbiased variance; running statistics in eval."""
    if bn.training or bn.running_mean is None:
        n = y.numel()
        y_mean = y.mean()
        yl = y.mean(0) - y_mean  # per-gene mean of y, centred: (l,)
        V_mean = V.mean(0)
        Vc = V - V_mean
        mean = u * y_mean + V_mean
        var = (u.square() * (y - y_mean).square().mean() + 2.0 * u * (yl @ Vc) / yl.numel() + Vc.square().mean(0))
        var = var.clamp_min(0.0)
        if bn.training and bn.track_running_stats and bn.running_mean is not None:
            with torch.no_grad():
                bn.num_batches_tracked.add_(1)
                m = bn.momentum if bn.momentum is not None else 1.0 / float(bn.num_batches_tracked)
                bn.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                bn.running_var.mul_(1 - m).add_(var.detach() * (n / max(n - 1, 1)), alpha=m)
    else:
        mean, var = bn.running_mean, bn.running_var
    scale = torch.rsqrt(var + bn.eps)
    if bn.affine:
        scale = scale * bn.weight
    shift = -mean * scale + (bn.bias if bn.affine else 0.0)
    return u * scale, V * scale + shift


def n_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))
