// Private shim: exposes OpenBLAS's CBLAS and LAPACKE to Swift. Not API; only
// Sources/GumbelSoftmax/Internals/BLAS.swift may use it.
#ifndef GUMBEL_SOFTMAX_COPENBLAS_SHIM_H
#define GUMBEL_SOFTMAX_COPENBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
