/* Just enough of CUDA C++ for g++ -fsyntax-only to check generated kernels (GeneratedCSyntaxTest). */
#include <algorithm>
#include <cmath>
#include <cstdlib>
#define __global__
#define __device__
#define __shared__ static
#define __forceinline__ inline
#define __align__(bytes)
#define __launch_bounds__(items, groups)
struct elattn_dim3 { unsigned int x, y, z; };
extern elattn_dim3 threadIdx, blockIdx, blockDim, gridDim;
void __syncthreads();
int __float2int_rz(float v);
long long __float2ll_rz(float v);
float __int_as_float(int v);
float rsqrtf(float v);
int atomicCAS(int *address, int compare, int val);
using std::max;
using std::min;
