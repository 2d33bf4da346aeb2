// AdapterKit: the one module other Swift trainers import. It re-exports the library's parts.
@_exported import AdapterCore
@_exported import AdapterInterop
@_exported import AdapterMath
@_exported import AdapterMethods
@_exported import AdapterPlots
@_exported import AdapterTraining
