// The lower modules whose public types are part of AdapterCore's own API (a checkpoint's layers
// are `Matrix` values), so `import AdapterCore` and `import AdapterKit` keep seeing them.
@_exported import LinearAlgebra
