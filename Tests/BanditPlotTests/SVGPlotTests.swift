// SVG figures: well-formed XML with the promised elements, coordinates that follow the data, and escaping.

import BanditPlot
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Every element of a parsed document in document order, with its attributes and direct text.
final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
        /// Index of the enclosing element; nil for the root.
        var parent: Int?

        var classes: [Substring] { (attributes["class"] ?? "").split(separator: " ") }
        func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []

    /// nil when the text is not well-formed XML.
    static func parse(_ svg: String) -> ParsedSVG? {
        let parser = XMLParser(data: Data(svg.utf8))
        let document = ParsedSVG()
        parser.delegate = document
        return parser.parse() ? document : nil
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributeDict, text: "", parent: open.last))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func all(_ name: String, class wanted: String) -> [Element] {
        elements.filter { $0.name == name && $0.classes.contains(Substring(wanted)) }
    }

    /// The `name` elements directly inside each element of class `wanted`, in document order, one list per container.
    func children(_ name: String, of wanted: String) -> [[Element]] {
        elements.indices.filter { elements[$0].classes.contains(Substring(wanted)) }.map { container in
            elements.filter { $0.parent == container && $0.name == name }
        }
    }
}

/// The (x, y) pairs of a path written as "Mx,yLx,y…Z".
func coordinates(_ d: String) -> [(x: Double, y: Double)] {
    d.split(whereSeparator: { "MLZ".contains($0) }).compactMap { pair in
        let parts = pair.split(separator: ",")
        guard parts.count == 2, let x = Double(parts[0]), let y = Double(parts[1]) else { return nil }
        return (x, y)
    }
}

@Suite("SVG plot")
struct SVGPlotTests {
    @Test("the notebook figure is XML with a series path and a band per series, the reference and its label")
    func structure() throws {
        let svg = SVGPlot.render(notebookSpec)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let document = try #require(ParsedSVG.parse(svg))
        let root = try #require(document.elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["width"] == "800" && root.attributes["height"] == "520")
        #expect(root.attributes["viewBox"] == "0 0 800 520")

        let series = document.all("path", class: "series")
        #expect(series.map { $0.attributes["data-label"] } == ["greedy", "eps:0.1", "ts:30"])
        #expect(series.map { $0.attributes["stroke"] } == ["#1f77b4", "#ff7f0e", "#2ca02c"])
        let bands = document.all("path", class: "band")
        #expect(bands.map { $0.attributes["data-label"] } == ["greedy", "eps:0.1", "ts:30"])
        #expect(bands.allSatisfy { $0.attributes["fill-opacity"] == "0.33" })

        // Bands come first in document order, so every line is painted over every band.
        let lastBand = try #require(document.elements.lastIndex { $0.classes.contains("band") })
        let firstSeries = try #require(document.elements.firstIndex { $0.classes.contains("series") })
        #expect(lastBand < firstSeries)

        let references = document.all("line", class: "reference")
        #expect(references.count == 1)
        #expect(references.first?.attributes["stroke"] == "#1f77b4")
        #expect(references.first?.attributes["stroke-dasharray"] != nil)
        #expect(document.all("text", class: "reference-label").map(\.text) == ["asymptote, mean viewing time = 1.67"])

        #expect(document.all("g", class: "legend").count == 1)
        #expect(document.all("g", class: "swatch").count == 3)
        #expect(document.all("text", class: "title").first?.text == notebookSpec.title)
        #expect(document.all("text", class: "axis-title").map(\.text) == ["day", "mean viewing time"])
        #expect(document.all("text", class: "axis-title").last?.attributes["transform"]?.hasPrefix("rotate(-90") == true)
        #expect(document.elements.filter { $0.name == "circle" }.count >= 42)
    }

    @Test("series coordinates follow the data: y reversed, x increasing, band around the line")
    func monotone() throws {
        let values = [1.2, 1.9, 1.5, 1.7, 1.1, 2.0, 1.45]
        let halves = [0.05, 0.1, 0.02, 0.08, 0.03, 0.06, 0.04]
        let spec = PlotSpec(title: "order", series: [PlotSeries(label: "zigzag", points: days(values), band: halves)],
                            references: [ReferenceLine(y: 1.6, label: "middle")])
        let document = try #require(ParsedSVG.parse(SVGPlot.render(spec)))
        let line = coordinates(try #require(document.all("path", class: "series").first?.attributes["d"]))
        try #require(line.count == values.count)
        for i in values.indices {
            for j in values.indices where values[i] < values[j] {
                #expect(line[i].y > line[j].y, "data \(values[i]) < \(values[j]) but svg y \(line[i].y) <= \(line[j].y)")
            }
            if i > 0 { #expect(line[i].x > line[i - 1].x) }
        }

        // The band runs along its upper edge, then back along its lower one.
        let band = coordinates(try #require(document.all("path", class: "band").first?.attributes["d"]))
        try #require(band.count == 2 * values.count)
        for i in values.indices {
            #expect(band[i].y < line[i].y && line[i].y < band[2 * values.count - 1 - i].y)
        }

        // The reference sits between the data values on either side of it.
        let reference = try #require(document.all("line", class: "reference").first?.number("y1"))
        #expect(line[3].y < reference && reference < line[2].y)

        // The y range covers everything drawn, and ends on labelled ticks.
        let frame = try #require(document.all("rect", class: "frame").first)
        let top = try #require(frame.number("y")), height = try #require(frame.number("height"))
        #expect(band.allSatisfy { $0.y >= top && $0.y <= top + height })
        let yLabels = document.elements.filter { $0.name == "text" && $0.attributes["text-anchor"] == "end" }
        #expect(yLabels.count >= 3)
        let tickValues = yLabels.compactMap { Double($0.text) }
        #expect(tickValues.count == yLabels.count)
        #expect(tickValues.first ?? 9 <= 1.07 && tickValues.last ?? 0 >= 2.06)
    }

    @Test("numbers have at most two decimals")
    func compactNumbers() {
        let svg = SVGPlot.render(notebookSpec)
        #expect(svg.firstMatch(of: /\d\.\d{3}/) == nil)
        #expect(svg.firstMatch(of: /[="\s,MLZ]-?(nan|inf)/) == nil)
    }

    @Test("text is escaped and survives the round trip")
    func escaping() throws {
        let label = "a<b & \"c\" 'd'>"
        let spec = PlotSpec(title: "T&C <draft>", xLabel: "x < y", yLabel: "\"quoted\"",
                            series: [PlotSeries(label: label, points: days([1, 2]))],
                            references: [ReferenceLine(y: 1.5, label: "ref & co\u{1}")])
        let document = try #require(ParsedSVG.parse(SVGPlot.render(spec)))
        #expect(document.all("path", class: "series").first?.attributes["data-label"] == label)
        #expect(document.all("text", class: "title").first?.text == "T&C <draft>")
        #expect(document.all("text", class: "axis-title").map(\.text) == ["x < y", "\"quoted\""])
        #expect(document.all("text", class: "reference-label").first?.text == "ref & co ")
    }

    @Test("a reference without a series is neutral grey")
    func neutralReference() throws {
        var spec = notebookSpec
        spec.references = [ReferenceLine(y: 2.3, label: "oracle = 2.3"), ReferenceLine(y: 1.0, label: "bad index", series: 9)]
        let document = try #require(ParsedSVG.parse(SVGPlot.render(spec)))
        #expect(document.all("line", class: "reference").map { $0.attributes["stroke"] } == ["#555555", "#555555"])
        #expect(document.all("text", class: "reference-label").map(\.text) == ["oracle = 2.3", "bad index"])
    }

    @Test("degenerate inputs still give a valid document with one series path per series",
          arguments: TerminalPlotTests.degenerate.indices)
    func degenerateInputs(index: Int) throws {
        let (name, spec) = TerminalPlotTests.degenerate[index]
        for (width, height) in [(800, 520), (300, 200), (10, 10)] {
            let svg = SVGPlot.render(spec, width: width, height: height)
            let document = try #require(ParsedSVG.parse(svg), "\(name) is not XML")
            #expect(document.all("path", class: "series").count == spec.series.count)
            #expect(svg.firstMatch(of: /\d\.\d{3}/) == nil, "\(name)")
            #expect(svg.firstMatch(of: /[="\s,MLZ]-?(nan|inf)/) == nil, "\(name)")
            if !spec.series.contains(where: { $0.points.contains { $0.x.isFinite && $0.y.isFinite } }) {
                #expect(svg.contains(">no data<"), "\(name)")
            }
        }
    }

    @Test("the requested size is honoured, with a floor")
    func size() throws {
        let small = try #require(ParsedSVG.parse(SVGPlot.render(notebookSpec, width: 400, height: 300)))
        #expect(small.elements.first?.attributes["viewBox"] == "0 0 400 300")
        let tiny = try #require(ParsedSVG.parse(SVGPlot.render(notebookSpec, width: 1, height: -5)))
        #expect(tiny.elements.first?.attributes["viewBox"] == "0 0 240 180")
    }
}
