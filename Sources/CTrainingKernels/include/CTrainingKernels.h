// Element-wise loops of the training engine that are bound by arithmetic (Adam's root and
// division, the byte-to-float conversion): built for AVX-512, AVX2 and the baseline x86-64 and
// chosen at load time (target_clones), which Swift code compiled for the baseline cannot do.
#ifndef CTRAININGKERNELS_H
#define CTRAININGKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// One Adam step over `count` parameters (PyTorch's form: ε after the root, bias corrections folded
/// into `step_size` and `inverse_root_correction2`): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g·g,
/// w ← w − step_size·m / (√v · inverse_root_correction2 + ε), rounded exactly like that scalar
/// float32 expression (no fused multiply-add) at any vector width.
void adaptool_adam_update(float *values, const float *gradients, float *m, float *v, size_t count,
                          float beta1, float beta2, float step_size, float inverse_root_correction2, float epsilon);

/// target[i] = (source[i] / 255 − 0.5) / 0.5 in float32 (the reference notebook's normalisation).
void adaptool_normalize_bytes(const uint8_t *source, float *target, size_t count);

#endif
