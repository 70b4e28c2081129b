// Reference numbers produced by running the notebook's code with numpy (see README, "Reference numbers").

import Foundation
import Testing

enum Fixture {
    static func json(_ name: String) throws -> Any {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// Doubles are stored as C99 hex literals (`float.hex()`), so they round-trip exactly.
    static func doubles(_ value: Any?) -> [Double] {
        (value as? [String] ?? []).map { Double($0)! }
    }

    static func double(_ value: Any?) -> Double { Double(value as! String)! }
}

/// A notebook experiment as recorded by the reference run: world, settings and the three curves.
struct NotebookReference {
    let seed: UInt32
    let features, actions, decisions, days, runs, bootstrap: Int
    let epsilon: Double
    let weights: [Double]
    let curves: [String: (mean: [Double], se: [Double], asymptote: Double)]

    init(fixture name: String) throws {
        let object = try #require(try Fixture.json(name) as? [String: Any])
        seed = UInt32(object["seed"] as! Int)
        features = object["features"] as! Int
        actions = object["actions"] as! Int
        decisions = object["decisions"] as! Int
        days = object["days"] as! Int
        runs = object["runs"] as! Int
        bootstrap = object["bootstrap"] as! Int
        epsilon = object["epsilon"] as! Double
        weights = Fixture.doubles(object["weights"])
        var curves: [String: (mean: [Double], se: [Double], asymptote: Double)] = [:]
        for (label, value) in try #require(object["results"] as? [String: [String: Any]]) {
            curves[label] = (Fixture.doubles(value["mean"]), Fixture.doubles(value["se"]), Fixture.double(value["asymptote"]))
        }
        self.curves = curves
    }
}
