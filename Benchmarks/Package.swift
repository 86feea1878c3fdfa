// swift-tools-version: 6.1
// The benchmarks are a package of their own, so that `swift build` and `swift test` in
// the main package never compile the harness. Run them with `swift package benchmark`
// from this directory.
import PackageDescription

let package = Package(
    name: "discreet-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "discreet", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Dimensions the Rounding and Noise benchmarks share.
        .target(
            name: "BenchmarkTables",
            dependencies: [.product(name: "DiscreetCore", package: "discreet")],
            path: "Benchmarks/BenchmarkTables"
        ),
        .executableTarget(
            name: "Ingest",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetIO", package: "discreet"),
                .product(name: "DiscreetCore", package: "discreet"),
            ],
            path: "Benchmarks/Ingest",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Batch",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetIO", package: "discreet"),
                .product(name: "DiscreetCore", package: "discreet"),
            ],
            path: "Benchmarks/Batch",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Protection",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetCore", package: "discreet"),
            ],
            path: "Benchmarks/Protection",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "JointProtection",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetCore", package: "discreet"),
            ],
            path: "Benchmarks/JointProtection",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReleaseFiles",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetIO", package: "discreet"),
            ],
            path: "Benchmarks/ReleaseFiles",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Noise",
            dependencies: [
                "BenchmarkTables",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetCore", package: "discreet"),
                .product(name: "DiscreetIO", package: "discreet"),
            ],
            path: "Benchmarks/Noise",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Rounding",
            dependencies: [
                "BenchmarkTables",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DiscreetCore", package: "discreet"),
            ],
            path: "Benchmarks/Rounding",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
