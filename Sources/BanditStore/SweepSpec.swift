// A sweep's plan on disk (`sweep.json`): the world, the protocol, the job and how its runs are shared among shards.

import BanditCore
import Foundation

/// Everything a shard needs to play its runs exactly as one daemon would have played them, and
/// what `sweep merge` checks each shard against. Doubles are written as hexadecimal floats
/// (`0x1.8p+0`) and the generator as the hex of its store blob, so that nothing is rounded.
public struct SweepSpec: Codable, Equatable, Sendable {
    public static let formatName = "bandit-sweep"
    public static let currentVersion = 1
    public static let fileName = "sweep.json"
    public static let scriptName = "sweep.sbatch"

    public var format: String
    public var version: Int
    /// A random identifier: a shard of another plan is refused.
    public var plan: String
    public var experiment: String
    public var seed: UInt32
    public var features: Int
    public var actions: Int
    public var noise: String
    /// Row-major (feature, post), as hexadecimal floats.
    public var weights: [String]
    /// The command as typed (`compare greedy ts:30 runs 40`) and what it plays.
    public var command: String
    public var policies: [String]
    public var decisionsPerDay: Int
    public var days: Int
    public var runs: Int
    public var warmup: Int
    public var ridge: String
    /// The experiment's generator when the plan was made: every shard's job starts from it.
    public var startGenerator: String
    /// Per shard: the first ordinal of each policy's runs it plays, and how many.
    public var shards: [[Int]]

    /// Shards of `runs` runs: contiguous, as even as can be.
    public static func slices(runs: Int, shards: Int) -> [Range<Int>] {
        precondition(shards >= 1 && shards <= runs)
        return (0..<shards).map { s in (s * runs / shards)..<((s + 1) * runs / shards) }
    }

    public init(plan: String, experiment: ExperimentRecord, world: World, command: String, policies: [Policy], schedule: Schedule,
                shards: Int) {
        format = Self.formatName
        version = Self.currentVersion
        self.plan = plan
        self.experiment = experiment.name
        seed = experiment.seed
        features = world.features
        actions = world.actions
        noise = Self.hex(world.noise)
        weights = world.weights.map(Self.hex)
        self.command = command
        self.policies = policies.map(\.label)
        decisionsPerDay = schedule.decisionsPerDay
        days = schedule.days
        runs = schedule.runs
        warmup = schedule.warmup
        ridge = Self.hex(schedule.ridge)
        startGenerator = GeneratorBlob.encode(experiment.generator).map { String(format: "%02x", $0) }.joined()
        self.shards = Self.slices(runs: schedule.runs, shards: shards).map { [$0.lowerBound, $0.count] }
    }

    static func hex(_ x: Double) -> String { String(format: "%a", x) }

    // MARK: Reading

    /// Why a spec cannot be used.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The spec in `data`, checked: its format, and values that make a world, policies and a schedule.
    public static func decode(_ data: Data) throws(Invalid) -> SweepSpec {
        let spec: SweepSpec
        do {
            spec = try JSONDecoder().decode(SweepSpec.self, from: data)
        } catch {
            throw Invalid(description: "not a bandit sweep plan (\(error.localizedDescription))")
        }
        guard spec.format == formatName else { throw Invalid(description: "not a bandit sweep plan (format '\(spec.format)')") }
        guard spec.version == currentVersion else {
            throw Invalid(description: "a sweep plan of version \(spec.version); this bandit reads version \(currentVersion)")
        }
        _ = try spec.world()
        _ = try spec.policyList()
        _ = try spec.generator()
        let slices = spec.slices
        guard !slices.isEmpty, slices.allSatisfy({ !$0.isEmpty && $0.lowerBound >= 0 && $0.upperBound <= spec.runs }),
              zip(slices, slices.dropFirst()).allSatisfy({ $0.upperBound == $1.lowerBound }),
              slices.first?.lowerBound == 0, slices.last?.upperBound == spec.runs else {
            throw Invalid(description: "its shards do not cover runs 0..<\(spec.runs) once each")
        }
        guard spec.days >= 1, spec.decisionsPerDay >= 1, spec.warmup >= 0, (try spec.ridgeValue()) > 0 else {
            throw Invalid(description: "its schedule is not one bandit plays")
        }
        return spec
    }

    public var slices: [Range<Int>] {
        shards.map { $0.count == 2 && $0[1] >= 0 ? $0[0]..<($0[0] + $0[1]) : 0..<0 }
    }

    private static func double(_ text: String, _ what: String) throws(Invalid) -> Double {
        guard let value = Double(text), value.isFinite else { throw Invalid(description: "\(what) '\(text)' is not a number") }
        return value
    }

    private func ridgeValue() throws(Invalid) -> Double { try Self.double(ridge, "ridge") }

    public func world() throws(Invalid) -> World {
        var values: [Double] = []
        for w in weights { values.append(try Self.double(w, "a weight")) }
        do {
            return try World(features: features, actions: actions, noise: try Self.double(noise, "noise"), weights: values)
        } catch {
            throw Invalid(description: "its world: \(error)")
        }
    }

    public func policyList() throws(Invalid) -> [Policy] {
        var list: [Policy] = []
        for label in policies {
            do { list.append(try Policy(label: label)) } catch { throw Invalid(description: "policy '\(label)': \(error)") }
        }
        guard !list.isEmpty else { throw Invalid(description: "no policies") }
        return list
    }

    public func schedule() throws(Invalid) -> Schedule {
        Schedule(decisionsPerDay: decisionsPerDay, days: days, runs: runs, warmup: warmup, ridge: try ridgeValue())
    }

    public func generator() throws(Invalid) -> Generator {
        var bytes: [UInt8] = []
        var text = Substring(startGenerator)
        while text.count >= 2, let byte = UInt8(text.prefix(2), radix: 16) {
            bytes.append(byte)
            text = text.dropFirst(2)
        }
        guard text.isEmpty, let generator = try? GeneratorBlob.decodeGenerator(bytes) else {
            throw Invalid(description: "its generator state is not one bandit wrote")
        }
        guard generator.kind == .default else { throw Invalid(description: "its generator is numpy: sweeps need the default generator") }
        return generator
    }

    /// The file's text: sorted keys, one value per line, so that plans diff well.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
