#!/usr/bin/env python3
"""The probability that Gumbel-max picks the second of two logits [0, -a], exactly, under the
uniforms of contract version 1 and version 2 (SPEC.md section 2); prints a markdown table.

Both noises of the pair come from the same discrete uniform grid. The probability is
sum_j w_j * F(g_j - a): the second noise takes grid value g_j with weight w_j and F is the grid's
own distribution function, counted exactly.

- Version 1: u = (m + 1/2) 2^-23 for the 2^23 values of m = x >> 9, enumerated in full.
- Version 2: U = (x + 1/2) 2^-32 in the bulk, U = (x 2^32 + t + 1/2) 2^-64 in the two outer bands of
  2^16 words. F is counted exactly on that grid. In the sum over j, only noises above
  a - 3.81 matter for the gaps here (the other noise is at least -3.81), so it runs over the top
  2^26 bulk words, each exactly, and over the upper band, whose 2^32 tail cells per word are taken
  in blocks at their midpoints: 2^22 cells, and 2^12 for the four top words, where the terms
  change fastest (the midpoint rule's relative error there is below 1e-7 for a <= 30). The lower
  part of the grid adds below 1e-300.

Usage: python3 Scripts/derive/tail_error_table.py   (numpy only; about a minute)
"""

import numpy as np

GAPS = [14, 16, 17, 18, 20, 25, 30]


def true_p(a):
    return np.exp(-a) / (1 + np.exp(-a))


def v1_p(a):
    m = np.arange(1 << 23, dtype=np.float64)
    g = -np.log(-np.log((m + 0.5) * 2.0**-23))
    # P(g1 < g2 - a): the count of grid noises strictly below, per g2.
    below = np.searchsorted(g, g - a, side="left").astype(np.float64)
    return below.sum() * 2.0**-46


def v2_cdf(c):
    """P(g < c) on the version 2 grid, for an array c."""
    c = np.asarray(c, dtype=np.float64)
    v = np.exp(-np.exp(-c))  # g < c  <=>  U < v
    w = -np.expm1(-np.exp(-c))  # 1 - v, accurate near 1
    out = np.empty_like(c)
    low = v <= 2.0**-16
    bulk = (~low) & (w >= 2.0**-16)
    high = ~(low | bulk)
    # Lower band: cells n = x 2^32 + t with n + 1/2 < v 2^64.
    out[low] = np.ceil(v[low] * 2.0**64 - 0.5) * 2.0**-64
    # Bulk: all of the lower band, and words x >= 2^16 with x + 1/2 < v 2^32.
    out[bulk] = 2.0**-16 + (np.ceil(v[bulk] * 2.0**32 - 0.5) - 2.0**16) * 2.0**-32
    # Upper band: 1 minus the cells with 1 - U = (n' + 1/2) 2^-64 <= 1 - v.
    out[high] = 1 - (np.floor(w[high] * 2.0**64 - 0.5) + 1) * 2.0**-64
    return out


def v2_p(a):
    total = 0.0
    # The top 2^26 bulk words, y = 2^32 - 1 - x from 2^16 up: 1 - U = (y + 1/2) 2^-32.
    chunk = 1 << 22
    for start in range(1 << 16, (1 << 16) + (1 << 26), chunk):
        y = np.arange(start, start + chunk, dtype=np.float64)
        g = -np.log(-np.log1p(-(y + 0.5) * 2.0**-32))
        total += v2_cdf(g - a).sum() * 2.0**-32
    # The upper band: y < 2^16 and the tail word's complement t'; blocks of 2^22 tail cells, and
    # of 2^12 for y < 4, where the largest noises live and the terms change fastest.
    for y in range(1 << 16):
        size = 2.0**12 if y < 4 else 2.0**22
        blocks = np.arange(2.0**32 / size, dtype=np.float64)
        cells = y * 2.0**32 + blocks * size + size / 2  # block midpoints
        g = -np.log(-np.log1p(-cells * 2.0**-64))
        total += v2_cdf(g - a).sum() * size * 2.0**-64
    return total


def main():
    print("| gap a | true p | v1 p | v1 error | v2 p | v2 error |")
    print("|---|---|---|---|---|---|")
    for a in GAPS:
        t = true_p(a)
        p1 = v1_p(a)
        p2 = v2_p(a)
        e1 = "never" if p1 == 0 else f"{(p1 / t - 1) * 100:+.2g}%"
        e2 = f"{(p2 / t - 1) * 100:+.2g}%"
        print(f"| {a} | {t:.3g} | {p1:.3g} | {e1} | {p2:.3g} | {e2} |")


if __name__ == "__main__":
    main()
