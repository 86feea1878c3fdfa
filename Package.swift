// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "discreet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "discreet", targets: ["discreet"]),
        .library(name: "DiscreetCore", targets: ["DiscreetCore"]),
        .library(name: "DiscreetIO", targets: ["DiscreetIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries (Debian: libgmp-dev, libsqlite3-dev, libglpk-dev).
        .systemLibrary(name: "CGMP", path: "Sources/CGMP"),
        .systemLibrary(name: "CGLPK", path: "Sources/CGLPK"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // zlib's inflate, for the sheets of .xlsx workbooks (ZIP archives).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // libcrypto's SHA-256 (Debian: libssl-dev), for checksums of large extracts.
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        // Linux calls Swift's Glibc module leaves out (anonymous files, swapping two paths).
        .systemLibrary(name: "CPOSIX", path: "Sources/CPOSIX"),

        // The model and the protection algorithms: pure, no I/O. Optimised in debug builds
        // too: the search for complementary cells is hot loops over generic code, tens of
        // times slower unoptimised, and the tests protect the example dozens of times.
        .target(
            name: "DiscreetCore", dependencies: ["CGMP", "CGLPK"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        // Readers, the release spec, writers, the pipeline that joins them.
        .target(
            name: "DiscreetIO",
            dependencies: [
                "DiscreetCore",
                "CSQLite",
                "CZlib",
                "CCrypto",
                "CPOSIX",
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // The command-line front end.
        .executableTarget(
            name: "discreet",
            dependencies: [
                "DiscreetIO",
                "DiscreetCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // An attacker written for the tests, independent of the production audit.
        .target(name: "DiscreetTestSupport", dependencies: ["DiscreetCore"], path: "Tests/DiscreetTestSupport"),
        .testTarget(name: "DiscreetCoreTests", dependencies: ["DiscreetCore", "DiscreetTestSupport"]),
        .testTarget(name: "DiscreetIOTests", dependencies: ["DiscreetIO", "DiscreetCore", "CSQLite", "DiscreetTestSupport"]),
        .testTarget(name: "DiscreetCLITests", dependencies: ["discreet", "DiscreetIO", "DiscreetTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
