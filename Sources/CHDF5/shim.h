/* HDF5's constants are macros over globals that Swift cannot import.
 * Each one is re-exposed here as a static inline function. Nothing else lives here. */
#ifndef ADAPTOOL_CHDF5_SHIM_H
#define ADAPTOOL_CHDF5_SHIM_H

#include <hdf5.h>
#include <H5PLpublic.h>

static inline hid_t adaptool_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t adaptool_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t adaptool_H5E_DEFAULT(void) { return H5E_DEFAULT; }

static inline unsigned adaptool_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned adaptool_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned adaptool_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

static inline hid_t adaptool_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t adaptool_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t adaptool_H5P_LINK_ACCESS(void) { return H5P_LINK_ACCESS; }

static inline hid_t adaptool_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t adaptool_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t adaptool_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t adaptool_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t adaptool_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t adaptool_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t adaptool_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t adaptool_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t adaptool_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t adaptool_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t adaptool_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t adaptool_H5T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t adaptool_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t adaptool_H5T_C_S1(void) { return H5T_C_S1; }
static inline size_t adaptool_H5T_VARIABLE(void) { return H5T_VARIABLE; }

#endif
