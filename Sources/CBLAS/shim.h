/* OpenBLAS's CBLAS interface plus the few LAPACK routines adaptool calls.
 * Guard name is deliberately not CBLAS_H, which cblas.h itself uses. */
#ifndef ADAPTOOL_CBLAS_SHIM_H
#define ADAPTOOL_CBLAS_SHIM_H

#include <cblas.h>

/* LAPACK (Fortran ABI, column-major) as exported by libopenblas. */
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda,
             float *s, float *u, const int *ldu, float *vt, const int *ldvt,
             float *work, const int *lwork, int *iwork, int *info);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
             double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *iwork, int *info);

#endif
