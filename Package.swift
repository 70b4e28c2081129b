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
        .library(name: "BanditCommands", targets: ["BanditCommands"]),
        .library(name: "BanditPlot", targets: ["BanditPlot"]),
        .library(name: "BanditServer", targets: ["BanditServer"]),
        .executable(name: "banditd", targets: ["banditd"]),
        .executable(name: "bandit", targets: ["bandit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        // Charts: a plot spec in, a terminal drawing or an SVG document out. No I/O.
        .target(name: "BanditPlot"),
        // The command language: one table drives parsing, help, completion and the man page.
        .target(name: "BanditCommands", dependencies: ["BanditCore", "BanditStore", "BanditJobs", "CBanditSystem"]),
        // Peer credentials and detached process start, which Swift cannot reach on Linux.
        .target(name: "CBanditSystem"),
        // The daemon as a library: socket, versioned protocol, sessions, jobs, recovery, signals.
        .target(name: "BanditServer", dependencies: [
            "BanditCommands", "BanditStore", "CBanditSystem", .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "banditd", dependencies: ["BanditCommands", "BanditServer", .product(name: "Logging", package: "swift-log")]),
        // GNU readline (libreadline-dev), through a module map and setters for its global callbacks.
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        // The REPL: the only code that touches the terminal.
        .executableTarget(name: "bandit", dependencies: ["BanditCommands", "BanditPlot", "BanditServer", "BanditStore", "CReadline"]),
        // Timed workloads of the release build (`make bench`).
        .executableTarget(name: "bandit-bench", dependencies: ["BanditCommands", "BanditCore", "BanditJobs", "BanditStore", "BanditServer"]),
        // Helpers shared by the test targets, and the one copy of the reference numbers (fixtures).
        .target(name: "BanditTestSupport", path: "Tests/Support", resources: [.copy("Fixtures")]),
        .testTarget(name: "BanditStoreTests", dependencies: ["BanditStore", "BanditJobs", "BanditTestSupport"]),
        .testTarget(name: "BanditServerTests", dependencies: ["BanditServer", "BanditStore", "BanditTestSupport"]),
        .testTarget(name: "BanditPlotTests", dependencies: ["BanditPlot"], resources: [.copy("Golden")]),
        .testTarget(name: "BanditCommandsTests", dependencies: ["BanditCommands", "BanditTestSupport"]),
        .testTarget(name: "BanditCoreTests", dependencies: ["BanditCore", "BanditTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
