// swift-tools-version: 6.0
// bandit: a contextual-bandit recommender simulator with a persistent daemon and a REPL.
import PackageDescription

let package = Package(
    name: "bandit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "BanditCore", targets: ["BanditCore"]),
        .executable(name: "bandit", targets: ["bandit"]),
    ],
    targets: [
        // The engine: generators, linear algebra, world, policies, the day/fit/run protocol.
        // No I/O, no clock, no globals.
        .target(name: "BanditCore"),
        .executableTarget(name: "bandit", dependencies: ["BanditCore"]),
        .testTarget(
            name: "BanditCoreTests",
            dependencies: ["BanditCore"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
