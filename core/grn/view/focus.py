"""A searched gene's own layout: the gene in the centre, its neighbours on rings around it.

The network's fixed layout scatters a gene's neighbours over the whole picture; drawn alone they sit small
in a corner. Around the focus gene, regulators take the left of the first ring and targets the right (arcs in
proportion to their numbers; strongest edge first, from the top), second-step genes an outer ring next to
the neighbour they hang on.
Ring radii grow with the number of genes so that labels keep about ``SPACING`` canvas units apart.
"""

from __future__ import annotations

import math

import pandas as pd

SPACING = 46.0  # canvas units between neighbouring genes on a ring (labels are drawn at ~14 px)
MIN_RADIUS = 160.0


WIDE = 1.5  # rings are ellipses this much wider than tall: labels are wide, the canvas too


def _ring(genes: list[str], angles: list[float], radius: float) -> dict[str, tuple[float, float]]:
    return {g: (round(WIDE * radius * math.cos(a), 2), round(radius * math.sin(a), 2)) for g, a in zip(genes, angles)}


def _spread(n: int, start: float, stop: float) -> list[float]:
    """``n`` angles evenly inside (start, stop)."""
    return [start + (stop - start) * (i + 0.5) / n for i in range(n)]


def focus_layout(edges: pd.DataFrame, focus: str) -> dict[str, tuple[float, float]]:
    """Positions for every gene of ``edges`` (a neighbourhood of ``focus``; strongest edges first)."""
    pos = {focus: (0.0, 0.0)}
    regs, tgts = [], []
    for s, t in zip(edges["source"], edges["target"]):
        if s == focus and t not in pos and t not in tgts and t not in regs:
            tgts.append(t)
        elif t == focus and s not in pos and s not in regs and s not in tgts:
            regs.append(s)
    first = regs + tgts
    n1 = len(first)
    r1 = max(MIN_RADIUS, SPACING * n1 / (2 * math.pi))
    if regs and tgts:  # regulators on the left, targets on the right, each side's arc in proportion to its genes
        half = math.pi * len(regs) / n1
        angles = (_spread(len(regs), math.pi - half, math.pi + half)[::-1]
                  + _spread(len(tgts), -(math.pi - half), math.pi - half))
    else:
        angles = _spread(n1, -math.pi / 2, 3 * math.pi / 2)
    pos.update(_ring(first, angles, r1))
    angle_of = dict(zip(first, angles))
    rest = sorted(set(edges["source"]).union(edges["target"]) - set(pos))
    if rest:
        near: dict[str, list[float]] = {g: [] for g in rest}
        for s, t in zip(edges["source"], edges["target"]):
            if s in near and t in angle_of:
                near[s].append(angle_of[t])
            if t in near and s in angle_of:
                near[t].append(angle_of[s])
        mean = {g: math.atan2(sum(map(math.sin, a)), sum(map(math.cos, a))) if a else 0.0 for g, a in near.items()}
        order = sorted(rest, key=lambda g: (mean[g], g))
        r2 = max(r1 + 2.5 * SPACING, SPACING * len(rest) / (2 * math.pi))
        start = mean[order[0]]
        step = 2 * math.pi / len(order)
        # evenly spaced in the order of their anchors' angles, starting near the first anchor
        pos.update(_ring(order, [start + i * step for i in range(len(order))], r2))
    return pos
