// swift-tools-version: 6.1
import PackageDescription

// Fuzz targets for discreet's readers, built with libFuzzer and AddressSanitizer:
//
//     swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address
//
// `scripts/fuzz` builds them and runs each for a set time on its seed corpus (Corpus/).
// Its own package, so that `swift build` and `swift test` on discreet never compile it.
let targets = ["FuzzCSV", "FuzzFilter", "FuzzSpec", "FuzzSQLite", "FuzzBounds", "FuzzRelease", "FuzzCheck"]

let package = Package(
    name: "discreet-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "discreet", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "DiscreetIO", package: "discreet"), .product(name: "DiscreetCore", package: "discreet")]
        )
    ]
        + targets.map { name in
            // libFuzzer supplies the process's entry point: each target defines `NAME_main`
            // (the symbol SwiftPM makes `main`) itself and hands over to the fuzzer's driver.
            .executableTarget(
                name: name,
                dependencies: ["FuzzSupport", .product(name: "DiscreetIO", package: "discreet"), .product(name: "DiscreetCore", package: "discreet")],
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        },
    swiftLanguageModes: [.v6]
)
