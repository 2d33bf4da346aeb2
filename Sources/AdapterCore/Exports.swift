// The lower modules whose public types are part of AdapterCore's own API (a checkpoint's layers
// are `Matrix` values; `FormatError.hdf5` carries an `HDF5Error`), so `import AdapterCore` and
// `import AdapterKit` keep seeing them.
@_exported import HDF5Support
@_exported import LinearAlgebra
