/*
 * CGumbelPreflight: the `gumbel` tool's CPU check, run by the dynamic loader before `main` (a
 * constructor), so that a `gumbel` built for a tier this CPU lacks prints `error: <message>` and
 * exits 1 before any of its Swift code, all of which is compiled for the tier (argument-parser's
 * included), can execute an instruction the CPU lacks. Linked into the `gumbel` executable only;
 * compiled for the baseline like every C target. Before that, in the pre-initialisation array
 * that runs before every shared library's constructor, it keeps OpenBLAS from starting threads in
 * the tool's own process (preflight.c says how and why). Not API: nothing to call.
 */
#ifndef C_GUMBEL_PREFLIGHT_H
#define C_GUMBEL_PREFLIGHT_H

#endif
