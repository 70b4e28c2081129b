// The plot description both renderers draw: series with optional ±SE bands, reference lines and titles.

/// One data point, in data units.
public struct PlotPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One curve: a labelled polyline with an optional shaded band around it.
public struct PlotSeries: Sendable, Equatable {
    /// Legend text, e.g. "greedy", "eps:0.1", "ts:30".
    public var label: String
    /// The points, in x order.
    public var points: [PlotPoint]
    /// Half-width of the band at each point (±1 SE); ignored unless it has exactly one entry per point.
    public var band: [Double]?

    public init(label: String, points: [PlotPoint], band: [Double]? = nil) {
        self.label = label
        self.points = points
        self.band = band
    }
}

/// A horizontal dashed line with an annotation, e.g. an asymptote or an oracle's value.
public struct ReferenceLine: Sendable, Equatable {
    public var y: Double
    /// Annotation text, e.g. "asymptote, mean viewing time = 1.67".
    public var label: String
    /// Index of the series whose colour the line takes; nil (or out of range) means neutral grey.
    public var series: Int?

    public init(y: Double, label: String, series: Int? = nil) {
        self.y = y
        self.label = label
        self.series = series
    }
}

/// Everything a chart shows; both renderers take it as is.
public struct PlotSpec: Sendable, Equatable {
    /// E.g. "notebook — 5 features, 30 posts, 10 runs × 14 days".
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]
    public var references: [ReferenceLine]
    /// What the bands are, in the terminal chart's legend.
    public var bandLabel = "±1 SE"

    public init(title: String, xLabel: String = "day", yLabel: String = "mean viewing time",
                series: [PlotSeries], references: [ReferenceLine] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.references = references
    }
}

// MARK: - Cleaned data shared by the renderers

/// A finite point of a series with its band half-width (0 where the band is absent or unusable).
struct Sample: Equatable {
    var x: Double
    var y: Double
    var half: Double

    var low: Double { y - half }
    var high: Double { y + half }
}

extension PlotSeries {
    /// Whether a band is drawn: the caller gave one half-width per point.
    var hasBand: Bool {
        guard let band else { return false }
        return band.count == points.count
    }

    /// The series cut into runs of finite samples: a NaN or infinite value leaves a gap, as in matplotlib.
    var runs: [[Sample]] {
        let halves: [Double]? = hasBand ? band : nil
        var runs: [[Sample]] = []
        var current: [Sample] = []
        for (index, point) in points.enumerated() {
            guard point.x.isFinite, point.y.isFinite else {
                if !current.isEmpty { runs.append(current) }
                current = []
                continue
            }
            var half = 0.0
            if let halves, halves[index].isFinite, (point.y + abs(halves[index])).isFinite,
               (point.y - abs(halves[index])).isFinite {
                half = abs(halves[index])
            }
            current.append(Sample(x: point.x, y: point.y, half: half))
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}

/// The data's bounding box over points, bands and reference lines.
struct Extent: Equatable {
    var xMin: Double
    var xMax: Double
    var yMin: Double
    var yMax: Double
    /// False when no series has a single finite point: the renderers then say "no data".
    var hasData: Bool
}

extension PlotSpec {
    /// Each series' runs, computed once per render.
    var cleanedRuns: [[[Sample]]] { series.map(\.runs) }

    /// The bounding box of what is drawn; unit ranges stand in for missing data.
    func extent(of runs: [[[Sample]]]) -> Extent {
        var xs: (Double, Double)? = nil
        var ys: (Double, Double)? = nil
        func include(_ value: Double, in range: inout (Double, Double)?) {
            guard value.isFinite else { return }
            range = range.map { (min($0.0, value), max($0.1, value)) } ?? (value, value)
        }
        for run in runs.joined() {
            for sample in run {
                include(sample.x, in: &xs)
                include(sample.low, in: &ys)
                include(sample.high, in: &ys)
            }
        }
        let hasData = xs != nil
        for line in references { include(line.y, in: &ys) }
        let x = xs ?? (0, 1)
        let y = ys ?? (0, 1)
        return Extent(xMin: x.0, xMax: x.1, yMin: y.0, yMax: y.1, hasData: hasData)
    }
}
