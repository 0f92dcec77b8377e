import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Simile

@Suite struct MetricsPlotTests {
    /// Counts the elements of an XML document by name; nil when it is not well-formed.
    private final class Counter: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
        }
    }

    @Test("metrics.svg is well-formed XML with a line per panel, labelled axes and an escaped title")
    func wellFormed() throws {
        let svg = metricsSVG(epochs: [1, 2, 3], losses: [6.1, 5.8, 5.5], knnTop1: [nil, 0.8, 0.85],
                             embeddingStd: [0.08, nil, 0.07], title: "simclr on <digits> & more")
        let counter = Counter()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.elements["svg"] == 1 && counter.elements["polyline"] == 3 && counter.elements["circle"] == 7)
        #expect(svg.contains("simclr on &lt;digits&gt; &amp; more") && svg.contains(">epoch</text>"))
        #expect(svg.contains(">loss</text>") && svg.contains(">kNN top-1</text>")
                && svg.contains(">embedding std (collapse at 0)</text>"))
        let empty = metricsSVG(epochs: [], losses: [], knnTop1: [], embeddingStd: [], title: "none yet")
        let emptyParser = XMLParser(data: Data(empty.utf8))
        #expect(emptyParser.parse())
    }
}
