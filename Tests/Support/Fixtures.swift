// Reference numbers produced by running the notebook's code with numpy (see README, "Reference numbers").

import Foundation

/// The committed fixtures (`Tests/Support/Fixtures`), one copy read by every test target.
public enum Fixture {
    /// A fixture is missing or not shaped as its reader expects.
    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func json(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw Unreadable(description: "no fixture \(name).json")
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// A committed text file (`evaluation-greedy.csv`: logs exported once by bandit).
    public static func text(_ name: String, extension fileExtension: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: fileExtension, subdirectory: "Fixtures") else {
            throw Unreadable(description: "no fixture \(name).\(fileExtension)")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Doubles are stored as C99 hex literals (`float.hex()`), so they round-trip exactly.
    public static func doubles(_ value: Any?) -> [Double] {
        (value as? [String] ?? []).map { Double($0)! }
    }

    public static func double(_ value: Any?) -> Double { Double(value as! String)! }
}

/// A notebook experiment as recorded by the reference run: world, settings and the three curves.
public struct NotebookReference: Sendable {
    public typealias Curve = (mean: [Double], se: [Double], asymptote: Double)

    public let seed: UInt32
    public let features, actions, decisions, days, runs, bootstrap: Int
    public let epsilon: Double
    public let weights: [Double]
    /// By policy: `greedy`, `eps`, `ts`.
    public let curves: [String: Curve]

    public init(fixture name: String) throws {
        guard let object = try Fixture.json(name) as? [String: Any],
              let results = object["results"] as? [String: [String: Any]] else {
            throw Fixture.Unreadable(description: "\(name).json is not a notebook experiment")
        }
        seed = UInt32(object["seed"] as! Int)
        features = object["features"] as! Int
        actions = object["actions"] as! Int
        decisions = object["decisions"] as! Int
        days = object["days"] as! Int
        runs = object["runs"] as! Int
        bootstrap = object["bootstrap"] as! Int
        epsilon = object["epsilon"] as! Double
        weights = Fixture.doubles(object["weights"])
        curves = results.mapValues { (Fixture.doubles($0["mean"]), Fixture.doubles($0["se"]), Fixture.double($0["asymptote"])) }
    }
}
