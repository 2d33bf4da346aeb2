// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "adaptool",
    platforms: [.macOS(.v13)],
    products: [
        /// The importable library: formats, math, training and interop, re-exported by `AdapterKit`.
        .library(name: "AdapterKit", targets: ["AdapterKit"]),
        .executable(name: "adaptool", targets: ["adaptool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // C libraries from Debian, each behind a tiny shim header.
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev", "zlib1g-dev"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // The library, one job per module; dependencies point one way.
        // HDF5Support is the only importer of CHDF5 (file, group, dataset, attribute, header
        // pre-check, reading inputs); LinearAlgebra the only importer of CBLAS (Matrix, gemm, SVD).
        .target(name: "HDF5Support", dependencies: ["CHDF5"]),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS"]),
        .target(
            name: "AdapterCore",
            dependencies: ["HDF5Support", "LinearAlgebra", .product(name: "Crypto", package: "swift-crypto")]),
        // One type per adapter method (LoRA, DoRA) and the registry that names them.
        .target(name: "AdapterMethods", dependencies: ["AdapterCore"]),
        // AdapterMath draws diff's figure (DiffFigureData+Plot) with AdapterPlots.
        .target(name: "AdapterMath", dependencies: ["AdapterCore", "AdapterMethods", "AdapterPlots"]),
        // The training engine's arithmetic-bound loops in C, built per vector width (see its header).
        .target(name: "CTrainingKernels"),
        .target(name: "AdapterTraining", dependencies: ["AdapterCore", "AdapterMath", "AdapterPlots", "CTrainingKernels"]),
        .target(name: "AdapterInterop", dependencies: ["AdapterCore", "AdapterMethods", "AdapterMath"]),
        // Charts as SVG text (no dependency beyond AdapterCore's atomic output and errors).
        .target(name: "AdapterPlots", dependencies: ["AdapterCore"]),
        .target(
            name: "AdapterKit",
            dependencies: ["AdapterCore", "AdapterMethods", "AdapterMath", "AdapterTraining", "AdapterInterop", "AdapterPlots"]),

        // The thin CLI.
        .executableTarget(
            name: "adaptool",
            dependencies: ["AdapterKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Helpers shared by the test targets (temporary folders, seeded data, running the CLI).
        .target(name: "AdapterTestSupport", dependencies: ["AdapterCore"], path: "Tests/AdapterTestSupport"),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "AdapterTestSupport"]),
        .testTarget(name: "AdapterCoreTests", dependencies: ["AdapterCore", "AdapterTestSupport"]),
        .testTarget(name: "AdapterMethodsTests", dependencies: ["AdapterMethods", "AdapterTestSupport"]),
        .testTarget(name: "AdapterMathTests", dependencies: ["AdapterMath", "AdapterTestSupport"]),
        .testTarget(name: "AdapterTrainingTests", dependencies: ["AdapterTraining", "AdapterTestSupport"]),
        .testTarget(name: "AdapterInteropTests", dependencies: ["AdapterInterop", "AdapterMath", "AdapterTestSupport"]),
        .testTarget(name: "AdapterPlotsTests", dependencies: ["AdapterCore", "AdapterPlots", "AdapterTestSupport"]),
        .testTarget(name: "AdaptoolCLITests", dependencies: ["AdapterKit", "AdapterTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
