/* Reciprocal throughput of the instructions that bound the kernels (docs/benchmarks.md, "The floor"), in cycles at
   the clock given (GHz; machine.c measures it): eight independent chains per instruction, the
   best of 200 runs (a busy machine only slows a run down). Needs AVX-512.
   cc -O2 -mavx512f ports.c -o ports && ./ports 4.12 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double wall(void){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec*1e9+t.tv_nsec;}
#define R8(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define DIV(i) "vdivps %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define DIVY(i) "vdivps %%ymm10, %%ymm" #i ", %%ymm" #i "\n\t"
#define FMA(i) "vfmadd231ps %%zmm20, %%zmm21, %%zmm" #i "\n\t"
#define MULQ(i) "vpmuludq %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define ADD(i) "vpaddd %%zmm20, %%zmm" #i ", %%zmm" #i "\n\t"
#define TEST(name, count, body) { double best=1e30; for(int r=0;r<200;r++){ double t0=wall(); for(int i=0;i<2000;i++){ __asm__ volatile(body body body body ::: "memory"); } double t=wall()-t0; if(t<best)best=t;} printf("%-13s %.2f cycles per instruction\n", name, best/2000/(4*count)*ghz); }
int main(int argc, char **argv){
  double ghz = argc > 1 ? atof(argv[1]) : 4.12;
  __asm__ volatile("vbroadcastss %0, %%zmm20\n\t vbroadcastss %0, %%zmm21\n\t" :: "m"((float){1.0f}));
  TEST("vdivps zmm", 8, R8(DIV))
  TEST("vdivps ymm", 8, R8(DIVY))
  TEST("vfmadd zmm", 24, R8(FMA) R8(FMA) R8(FMA))
  TEST("vpmuludq zmm", 16, R8(MULQ) R8(MULQ))
  TEST("vpaddd zmm", 16, R8(ADD) R8(ADD))
  return 0;
}
