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
/* Householder QR (dgeqrf) and the explicit Q from it (dorgqr); normal random numbers (dlarnv). */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);
void dlarnv_(const int *idist, int *iseed, const int *n, double *x);

#endif
