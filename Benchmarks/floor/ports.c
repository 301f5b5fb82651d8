/* Reciprocal throughput of the instructions that bound the kernels (docs/benchmarks.md, "The floor"), in cycles at
   the clock given (GHz; machine.c measures it): independent chains per instruction (eight for the
   divisions, twelve otherwise), the best of 200 runs (a busy machine only slows a run down). Then
   pairs and triples of instruction kinds interleaved in equal numbers: a mix that runs at the sum
   of its parts' rates uses disjoint pipes, one that runs at the rate of either alone shares them.
   Then latencies (one chain). Needs AVX-512.
   cc -O2 -mavx512f -mavx512dq ports.c -o ports && ./ports 4.12 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double wall(void){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec*1e9+t.tv_nsec;}
#define R8(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define R12(op) R8(op) op(8) op(9) op(10) op(11)
#define DIV(i) "vdivps %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define DIVY(i) "vdivps %%ymm20, %%ymm" #i ", %%ymm" #i "\n\t"
#define FMA(i) "vfmadd231ps %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define MULPS(i) "vmulps %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define ADDPS(i) "vaddps %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define MAXPS(i) "vmaxps %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define MULQ(i) "vpmuludq %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define MULLQ(i) "vpmullq %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define SRLQ(i) "vpsrlq $32, %%zmm" #i ", %%zmm" #i "\n\t"
#define SRLD(i) "vpsrld $23, %%zmm" #i ", %%zmm" #i "\n\t"
#define TERN(i) "vpternlogq $0x96, %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define ADD(i) "vpaddd %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define MINUD(i) "vpminud %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define CVT(i) "vcvtdq2ps %%zmm" #i ", %%zmm" #i "\n\t"
#define PERM(i) "vpermt2q %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define MOV(i) "vmovaps %%zmm" #i ", %%zmm22\n\t"
#define LFMA(i) "vfmadd231ps %%zmm20, %%zmm21, %%zmm0\n\t"
#define LMULPS(i) "vmulps %%zmm20, %%zmm0, %%zmm0\n\t"
#define LADDPS(i) "vaddps %%zmm20, %%zmm0, %%zmm0\n\t"
#define LMULQ(i) "vpmuludq %%zmm20, %%zmm0, %%zmm0\n\t"
#define LCVT(i) "vcvtdq2ps %%zmm0, %%zmm0\n\t"
#define LSRLQ(i) "vpsrlq $1, %%zmm0, %%zmm0\n\t"
#define LTERN(i) "vpternlogq $0x96, %%zmm20, %%zmm21, %%zmm0\n\t"
/* At the start of each run (the C library may use the vector registers between runs): the
   operands zmm20 and zmm21 are 1 and every chain starts at 1.5, so that the division and float
   chains stay normal (a division of leftover subnormal values took twice as long). */
static const float one = 1.0f, one_and_a_half = 1.5f;
#define INIT __asm__ volatile("vbroadcastss %0, %%zmm20\n\t vbroadcastss %0, %%zmm21\n\t" \
    "vbroadcastss %1, %%zmm0\n\t vbroadcastss %1, %%zmm1\n\t vbroadcastss %1, %%zmm2\n\t" \
    "vbroadcastss %1, %%zmm3\n\t vbroadcastss %1, %%zmm4\n\t vbroadcastss %1, %%zmm5\n\t" \
    "vbroadcastss %1, %%zmm6\n\t vbroadcastss %1, %%zmm7\n\t vbroadcastss %1, %%zmm8\n\t" \
    "vbroadcastss %1, %%zmm9\n\t vbroadcastss %1, %%zmm10\n\t vbroadcastss %1, %%zmm11\n\t" \
    :: "m"(one), "m"(one_and_a_half));
#define TEST(name, count, body) { double best=1e30; for(int r=0;r<200;r++){ double t0=wall(); INIT for(int i=0;i<1000;i++){ __asm__ volatile(body body body body ::: "memory"); } double t=wall()-t0; if(t<best)best=t;} double c=best/1000/(4*count)*ghz; printf("%-26s %.2f cycles per instruction (%.2f per cycle)\n", name, c, 1/c); }
#define LATENCY(name, body) { double best=1e30; for(int r=0;r<200;r++){ double t0=wall(); INIT for(int i=0;i<1000;i++){ __asm__ volatile(body body body body ::: "memory"); } double t=wall()-t0; if(t<best)best=t;} printf("%-26s %.2f cycles latency\n", name, best/1000/48*ghz); }
int main(int argc, char **argv){
  double ghz = argc > 1 ? atof(argv[1]) : 4.12;
  TEST("vdivps zmm", 8, R8(DIV))
  TEST("vdivps ymm", 8, R8(DIVY))
  TEST("vfmadd zmm", 12, R12(FMA))
  TEST("vmulps zmm", 12, R12(MULPS))
  TEST("vaddps zmm", 12, R12(ADDPS))
  TEST("vmaxps zmm", 12, R12(MAXPS))
  TEST("vpmuludq zmm", 12, R12(MULQ))
  TEST("vpmullq zmm", 12, R12(MULLQ))
  TEST("vpsrlq zmm", 12, R12(SRLQ))
  TEST("vpsrld zmm", 12, R12(SRLD))
  TEST("vcvtdq2ps zmm", 12, R12(CVT))
  TEST("vpermt2q zmm", 12, R12(PERM))
  TEST("vpternlogq zmm", 12, R12(TERN))
  TEST("vpaddd zmm", 12, R12(ADD))
  TEST("vpminud zmm", 12, R12(MINUD))
  printf("mixes (equal numbers of each):\n");
  TEST("vfmadd + vpmuludq", 24, R12(FMA) R12(MULQ))
  TEST("vfmadd + vaddps", 24, R12(FMA) R12(ADDPS))
  TEST("vfmadd + vpsrlq", 24, R12(FMA) R12(SRLQ))
  TEST("vfmadd + vcvtdq2ps", 24, R12(FMA) R12(CVT))
  TEST("vfmadd + vpternlogq", 24, R12(FMA) R12(TERN))
  TEST("vfmadd + vpermt2q", 24, R12(FMA) R12(PERM))
  TEST("vfmadd + vmovaps", 24, R12(FMA) R12(MOV))
  TEST("vpmuludq + vpsrlq", 24, R12(MULQ) R12(SRLQ))
  TEST("vpmuludq + vpternlogq", 24, R12(MULQ) R12(TERN))
  TEST("vaddps + vpsrlq", 24, R12(ADDPS) R12(SRLQ))
  TEST("vaddps + vcvtdq2ps", 24, R12(ADDPS) R12(CVT))
  TEST("vpsrlq + vpternlogq", 24, R12(SRLQ) R12(TERN))
  TEST("vfmadd + vaddps + vpsrlq", 36, R12(FMA) R12(ADDPS) R12(SRLQ))
  TEST("vpmuludq+vpsrlq+vpternlogq", 36, R12(MULQ) R12(SRLQ) R12(TERN))
  printf("latencies:\n");
  LATENCY("vfmadd zmm", R12(LFMA))
  LATENCY("vmulps zmm", R12(LMULPS))
  LATENCY("vaddps zmm", R12(LADDPS))
  LATENCY("vpmuludq zmm", R12(LMULQ))
  LATENCY("vcvtdq2ps zmm", R12(LCVT))
  LATENCY("vpsrlq zmm", R12(LSRLQ))
  LATENCY("vpternlogq zmm", R12(LTERN))
  return 0;
}
