"""A float64 numpy reference of SPEC.md: Philox4x32-10 words and tail words, uniforms, Gumbel
noise and the Gumbel-Softmax of a batch, written from the spec alone (not from the Swift sources).

Contract version 2 (SPEC section 2, exact tails) is the default. ``CONTRACT = 1`` selects the
version-1 uniform ``((x >> 9) + 1/2) * 2**-23``; conftest.py sets it from the golden file the
tests load (a v2 file has "tail_words"), so that the reference always describes the contract of
the checkout under test.

Philox is vectorised over uint64 arrays holding 32-bit values, so that a 32x32 -> 64-bit product
is one numpy multiply.
"""

from __future__ import annotations

import numpy as np

MASK32 = np.uint64(0xFFFFFFFF)
M0 = np.uint64(0xD2511F53)  # applied to counter word 0
M1 = np.uint64(0xCD9E8D57)  # applied to counter word 2
W0 = np.uint64(0x9E3779B9)
W1 = np.uint64(0xBB67AE85)
SHIFT32 = np.uint64(32)


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 (Salmon et al. 2011) of uint64 arrays of 32-bit words; returns 4 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & MASK32 for c in (c0, c1, c2, c3))
    k0 = np.uint64(int(k0) & 0xFFFFFFFF)
    k1 = np.uint64(int(k1) & 0xFFFFFFFF)
    for round_ in range(10):
        if round_ > 0:
            k0 = np.uint64((int(k0) + 0x9E3779B9) & 0xFFFFFFFF)
            k1 = np.uint64((int(k1) + 0xBB67AE85) & 0xFFFFFFFF)
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = (p1 >> SHIFT32) ^ c1 ^ k0, p1 & MASK32, (p0 >> SHIFT32) ^ c3 ^ k1, p0 & MASK32
    return c0, c1, c2, c3


CONTRACT = 2
BAND = 1 << 16  # words below BAND or at 2**32 - BAND and above use their tail word (v2)


def _positions(position: int, count: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.uint64(position) + np.arange(count, dtype=np.uint64)  # wraps modulo 2**64


def _lanes(seed: int, stream: int, p: np.ndarray, high_offset: int) -> np.ndarray:
    """Lane ``p % 4`` of the blocks ``(lo32(p/4), hi32(p/4) + high_offset, stream)``."""
    block = p >> np.uint64(2)
    lane = (p & np.uint64(3)).astype(np.intp)
    outputs = philox4x32_10(
        block & MASK32,
        ((block >> SHIFT32) + np.uint64(high_offset)) & MASK32,
        np.full(p.shape, stream & 0xFFFFFFFF, dtype=np.uint64),
        np.full(p.shape, stream >> 32, dtype=np.uint64),
        seed & 0xFFFFFFFF,
        seed >> 32,
    )
    stacked = np.stack(outputs)  # [4, count]
    return stacked[lane, np.arange(p.size)].astype(np.uint32)


def words(seed: int, stream: int, position: int, count: int) -> np.ndarray:
    """Words ``position ... position + count - 1`` (mod 2**64) of the stream, as uint32."""
    return _lanes(seed, stream, _positions(position, count), 0)


def tail_words(seed: int, stream: int, position: int, count: int) -> np.ndarray:
    """The tail words of those positions (SPEC section 1): ``hi32(p / 4) + 2**31``."""
    return _lanes(seed, stream, _positions(position, count), 1 << 31)


def _in_band(x: np.ndarray) -> np.ndarray:
    return (x < BAND) | (x >= (1 << 32) - BAND)


def uniform(x, t=None) -> np.ndarray:
    """The uniform of word ``x`` (and tail word ``t``) in float64.

    Version 2: ``(x + 1/2) * 2**-32`` outside the tail bands, ``(x * 2**32 + t + 1/2) * 2**-64``
    inside them (rounded to float64 there: use ``minus_log_uniform`` for the noise). Version 1:
    ``((x >> 9) + 1/2) * 2**-23``.
    """
    x = np.asarray(x, dtype=np.uint64)
    if CONTRACT == 1:
        return ((x >> np.uint64(9)).astype(np.float64) + 0.5) * 2.0**-23
    t = np.zeros_like(x) if t is None else np.asarray(t, dtype=np.uint64)
    middle = (x.astype(np.float64) + 0.5) * 2.0**-32
    tails = (x.astype(np.float64) * 2.0**32 + t.astype(np.float64) + 0.5) * 2.0**-64
    return np.where(_in_band(x), tails, middle)


def minus_log_uniform(x, t=None) -> np.ndarray:
    """``-ln U`` in float64, accurate in both tails: near 1 as ``-log1p(-C)`` with ``C = 1 - U``
    formed from the integers (SPEC section 2)."""
    x = np.asarray(x, dtype=np.uint64)
    if CONTRACT == 1:
        return -np.log(uniform(x))
    t = np.zeros_like(x) if t is None else np.asarray(t, dtype=np.uint64)
    u = uniform(x, t)
    complement_x = (np.uint64(0xFFFFFFFF) - x).astype(np.float64)
    complement_t = (np.uint64(0xFFFFFFFF) - t).astype(np.float64)
    c = np.where(
        _in_band(x), (complement_x * 2.0**32 + complement_t + 0.5) * 2.0**-64, (complement_x + 0.5) * 2.0**-32
    )
    with np.errstate(divide="ignore"):  # np.where evaluates both branches
        return np.where(u < 0.5, -np.log(u), -np.log1p(-c))


def gumbel(x, t=None) -> np.ndarray:
    """``-ln(-ln U)`` in float64."""
    return -np.log(minus_log_uniform(x, t))


def noise(seed: int, stream: int, position: int, count: int) -> np.ndarray:
    x = words(seed, stream, position, count)
    t = tail_words(seed, stream, position, count) if CONTRACT == 2 else None
    return gumbel(x, t)


def perturbed(logits: np.ndarray, seed: int, stream: int, position: int) -> np.ndarray:
    """``logits + g`` in float64 for float32 ``[..., K]`` logits; element i (C order) uses word
    ``position + i``."""
    x = np.asarray(logits, dtype=np.float32).astype(np.float64)
    g = noise(seed, stream, position, x.size).reshape(x.shape)
    return x + g


def gumbel_softmax(logits, temperature, seed: int, stream: int = 0, position: int = 0):
    """Returns ``(soft, log_soft, z, zmax)`` in float64: ``z = (logits + g) / temperature`` per
    row, ``zmax`` the largest finite ``|z|`` of each row (shape ``[..., 1]``).

    ``temperature`` is a scalar or one per row (``logits.shape[:-1]``), used in float64 as given:
    pass ``numpy.float32`` values to model the library, which holds temperatures in float32 (the
    golden file's answers use the decimal temperature itself).
    """
    d = perturbed(logits, seed, stream, position)
    t = np.asarray(temperature, dtype=np.float64)
    if t.ndim > 0:
        t = t[..., None]
    z = d / t
    m = np.max(z, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(z - m)
    s = np.sum(e, axis=-1, keepdims=True)
    soft = e / s
    log_soft = z - m - np.log(s)
    finite = np.where(np.isfinite(z), np.abs(z), 0.0)
    zmax = np.max(finite, axis=-1, keepdims=True) if z.shape[-1] else np.zeros(z.shape[:-1] + (1,))
    return soft, log_soft, z, zmax


def soft_tolerance(zmax):
    """SPEC section 3: ``2e-5 + 2**-22 * zmax``."""
    return 2e-5 + 2.0**-22 * zmax


def log_tolerance(exact, zmax):
    """SPEC section 3: ``2e-4 * max(1, |exact|) + 2**-22 * zmax``."""
    return 2e-4 * np.maximum(1.0, np.abs(exact)) + 2.0**-22 * zmax


def noise_tolerance(exact):
    """SPEC section 2: ``2e-6 * max(1, |g|)``."""
    return 2e-6 * np.maximum(1.0, np.abs(exact))
