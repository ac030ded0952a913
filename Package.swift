// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Stepwise",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stepwise", targets: ["stepwise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Core types, validation and enrichment: pure, no I/O.
        .target(name: "StepwiseCore", swiftSettings: strict),
        // The tracking plan (`stepwise.yml`): model, strict loader, lint. Pure.
        .target(name: "StepwisePlan", dependencies: ["StepwiseCore", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // The columnar analytics engine: pure, no I/O.
        .target(name: "StepwiseEngine", dependencies: ["StepwiseCore", "StepwisePlan"], swiftSettings: strict),
        // The seeded demo traffic generator with recorded ground truth: pure.
        .target(name: "StepwiseDemo", dependencies: ["StepwiseCore"], swiftSettings: strict),
        // SQLite storage through GRDB.
        .target(
            name: "StepwiseStorage",
            dependencies: [
                "StepwiseCore", "StepwiseEngine",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                // The erasure log keeps a SHA-256 of the erased id, not the id.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // ClickHouse for scale-out (SPEC §5): schema, batching writer, reports as SQL.
        .target(
            name: "StepwiseClickHouse",
            dependencies: [
                "StepwiseCore", "StepwiseEngine", "StepwisePlan", "StepwiseStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),
        // The HTTP server (Hummingbird 2).
        // The system zlib (Debian zlib1g-dev): gzip request bodies.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "StepwiseServer",
            dependencies: [
                "StepwiseCore", "StepwiseEngine", "StepwiseStorage", "StepwiseDemo", "StepwisePlan",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Audience webhooks: the POST and its HMAC-SHA256 signature.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                "CZlib",
            ],
            // The tracker is hand-written JavaScript, compiled into the binary: one file to deploy.
            resources: [.embedInCode("Tracker/stepwise.js")],
            swiftSettings: strict),
        // The `stepwise` command line.
        .executableTarget(
            name: "stepwise",
            dependencies: [
                "StepwiseCore", "StepwiseEngine", "StepwiseStorage", "StepwiseServer", "StepwiseDemo", "StepwisePlan", "StepwiseClickHouse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // Benchmarks live apart from tests and are run by Benchmarks/run.sh.
        .executableTarget(
            name: "StepwiseBench",
            dependencies: ["StepwiseCore", "StepwiseEngine", "StepwiseStorage", "StepwiseDemo", "StepwisePlan", "StepwiseClickHouse"],
            path: "Benchmarks/StepwiseBench",
            swiftSettings: strict),
        .testTarget(name: "StepwiseCoreTests", dependencies: ["StepwiseCore"], swiftSettings: strict),
        .testTarget(name: "StepwisePlanTests", dependencies: ["StepwisePlan", "StepwiseDemo"], swiftSettings: strict),
        .testTarget(
            name: "StepwiseEngineTests", dependencies: ["StepwiseEngine", "StepwiseCore", "StepwisePlan"],
            exclude: ["Fixtures/make_wilson_fixtures.py", "Fixtures/make_predict_fixtures.py", "Fixtures/make_sample_size_fixtures.py", "Fixtures/make_experiment_fixtures.py"], swiftSettings: strict),
        .testTarget(
            name: "StepwiseStorageTests",
            dependencies: ["StepwiseStorage", "StepwiseEngine", "StepwiseCore", "StepwiseDemo", "StepwisePlan"],
            swiftSettings: strict),
        .testTarget(
            name: "StepwiseServerTests",
            dependencies: [
                "StepwiseServer", "StepwiseStorage", "StepwiseCore", "StepwiseEngine", "StepwisePlan", "StepwiseDemo",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // Faults injected on the store's own connection (a full disk, a read-only database).
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "StepwiseClickHouseTests",
            dependencies: [
                "StepwiseClickHouse", "StepwiseStorage", "StepwiseEngine", "StepwiseCore", "StepwisePlan", "StepwiseDemo", "StepwiseServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict),
        // Drives the built `stepwise` binary: exit codes, golden outputs.
        .testTarget(name: "StepwiseCLITests", swiftSettings: strict),
    ]
)
