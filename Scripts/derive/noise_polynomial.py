#!/usr/bin/env python3
"""The polynomial of the noise's logarithms (Sources/GumbelSoftmax/Noise/NoiseMath.swift,
`negativeLog`): prints its coefficients, rounded to Float, and their worst relative error.

The noise takes two logarithms, each as `k ln 2 + log1p(f)` with `1 + f` in [1/2, 1) (SPEC
section 2 needs `g` within 2e-6 max(1, |g|)). On f in [-1/2, 0], log1p(f) = f - f^2/2 + f^3 P(f)
with P of degree DEGREE, fitted by iteratively reweighted least squares (Lawson's algorithm,
which converges to the minimax fit) on the relative error of log1p over Chebyshev nodes. The
Swift code folds the signs into the coefficients (it computes -log1p(f)).

Usage: python3 Scripts/derive/noise_polynomial.py [DEGREE]   (numpy only; default degree 5)
"""

import sys

import numpy as np


def fit(degree):
    f = -0.25 + 0.25 * np.cos(np.linspace(0, np.pi, 6000))
    f = f[np.abs(f) > 1e-7]
    target = (np.log1p(f) - f + f * f / 2) / f**3
    scale = np.abs(f**3 / np.log1p(f))  # residuals in P, scaled to relative errors of log1p
    basis = np.vander(f, degree + 1, increasing=True) * scale[:, None]
    weights = np.ones_like(f)
    for _ in range(400):
        root = np.sqrt(weights)
        c, *_ = np.linalg.lstsq(basis * root[:, None], target * scale * root, rcond=None)
        residual = np.abs(basis @ c - target * scale)
        weights = weights * (residual + 1e-30)
        weights /= weights.sum()
    return c.astype(np.float32)


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    c = fit(degree)
    f = np.linspace(-0.5, -1e-7, 2_000_001)
    approx = f - f * f / 2 + f**3 * np.polyval(c.astype(np.float64)[::-1], f)
    error = np.max(np.abs(approx / np.log1p(f) - 1))
    print("P coefficients c0..c%d (Float):" % degree)
    for i, value in enumerate(c):
        print("  c%d = %.9e   (Swift, negated: %s)" % (i, value, repr(float(-value))))
    print("worst relative error of log1p on [-1/2, 0]: %.3e" % error)


if __name__ == "__main__":
    main()
