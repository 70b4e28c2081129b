// swift-tools-version: 6.0
// bandit: a contextual-bandit recommender simulator with a persistent daemon and a REPL.
import PackageDescription

let package = Package(
    name: "bandit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "BanditCore", targets: ["BanditCore"]),
        .library(name: "BanditStore", targets: ["BanditStore"]),
        .library(name: "BanditJobs", targets: ["BanditJobs"]),
        .executable(name: "bandit", targets: ["bandit"]),
    ],
    targets: [
        // The engine: generators, linear algebra, world, policies, the day/fit/run protocol.
        // No I/O, no clock, no globals.
        .target(name: "BanditCore"),
        // The system SQLite (libsqlite3-dev), through a module map and a small shim header.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The store: the only code that touches SQLite. Knows engine types, never commands.
        .target(name: "BanditStore", dependencies: ["BanditCore", "CSQLite"]),
        // Long work against a store: runs and comparisons committed day by day, resumed exactly.
        .target(name: "BanditJobs", dependencies: ["BanditCore", "BanditStore"]),
        .executableTarget(name: "bandit", dependencies: ["BanditCore", "BanditStore", "BanditJobs"]),
        // Timed workloads of the release build (`make bench`).
        .executableTarget(name: "bandit-bench", dependencies: ["BanditCore", "BanditStore", "BanditJobs"]),
        .testTarget(name: "BanditStoreTests", dependencies: ["BanditStore", "BanditJobs"]),
        .testTarget(
            name: "BanditCoreTests",
            dependencies: ["BanditCore"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
