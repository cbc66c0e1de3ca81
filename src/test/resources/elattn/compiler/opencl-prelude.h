/* Just enough of OpenCL C 1.2 for gcc -fsyntax-only to check generated kernels (GeneratedCSyntaxTest). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#define __kernel
#define __global
#define __local static
#define CLK_LOCAL_MEM_FENCE 1
typedef unsigned int uint;
typedef unsigned long ulong;
typedef unsigned short half;
typedef unsigned short ushort;
size_t get_global_id(uint d);
size_t get_global_size(uint d);
size_t get_local_id(uint d);
size_t get_local_size(uint d);
size_t get_group_id(uint d);
void barrier(int flags);
float vload_half(size_t i, const half *p);
void vstore_half(float v, size_t i, half *p);
int convert_int_sat(float v);
long convert_long_sat(float v);
float rsqrt(float v);
int atomic_cmpxchg(volatile int *p, int cmp, int val);
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
