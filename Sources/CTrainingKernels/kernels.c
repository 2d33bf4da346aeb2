#include "CTrainingKernels.h"
#include <math.h>

// Same rounding as the Swift and PyTorch scalar code: never contract a*b+c into one fma.
#pragma clang fp contract(off)

// sqrtf may set errno for negative inputs, which keeps the loop scalar; the builtin does not.
#if __has_builtin(__builtin_elementwise_sqrt)
#define ROOT(x) __builtin_elementwise_sqrt(x)
#else
#define ROOT(x) sqrtf(x)
#endif

#if defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

VECTOR_CLONES
void adaptool_adam_update(float *restrict values, const float *restrict gradients, float *restrict m, float *restrict v,
                          size_t count, float beta1, float beta2, float step_size, float inverse_root_correction2, float epsilon) {
    const float keep1 = 1 - beta1, keep2 = 1 - beta2;
    for (size_t i = 0; i < count; i++) {
        const float g = gradients[i];
        const float mi = beta1 * m[i] + keep1 * g;
        const float vi = beta2 * v[i] + keep2 * g * g;
        values[i] = values[i] - step_size * mi / (ROOT(vi) * inverse_root_correction2 + epsilon);
        m[i] = mi;
        v[i] = vi;
    }
}

VECTOR_CLONES
void adaptool_normalize_bytes(const uint8_t *restrict source, float *restrict target, size_t count) {
    for (size_t i = 0; i < count; i++) target[i] = ((float)source[i] / 255.0f - 0.5f) / 0.5f;
}
