import Foundation

/// metrics.svg: the loss, the kNN top-1 accuracy and the collapse monitor's embedding std per epoch, in three
/// panels from left to right, as a self-contained SVG that a browser shows; each panel has its axes, tick values
/// and labels. Epochs without an evaluation have no kNN point, and rows without a std (a run resumed from an older
/// metrics.csv) no std point.
public func metricsSVG(epochs: [Int], losses: [Float], knnTop1: [Double?], embeddingStd: [Double?],
                       title: String) -> String {
    let (panelWidth, panelHeight, margin) = (360.0, 240.0, 50.0)
    var svg = SVGDocument.opening(width: 3 * panelWidth, height: panelHeight + 40, title: title)
    func points(_ values: [Double?]) -> [(Double, Double)] {
        zip(epochs, values).compactMap { epoch, value in value.map { (Double(epoch), $0) } }
    }
    let panels: [(name: String, points: [(Double, Double)], left: Double)] = [
        ("loss", points(losses.map(Double.init)), 0),
        ("kNN top-1", points(knnTop1), panelWidth),
        ("embedding std (collapse at 0)", points(embeddingStd), 2 * panelWidth),
    ]
    for panel in panels {
        let (x0, y0) = (panel.left + margin, 30.0)
        let (width, height) = (panelWidth - 1.5 * margin, panelHeight - margin)
        let xs = panel.points.map(\.0), ys = panel.points.map(\.1)
        let (xMin, xMax) = (min(xs.min() ?? 0, 0), max(xs.max() ?? 1, 1))
        var (yMin, yMax) = (ys.min() ?? 0, ys.max() ?? 1)
        if yMax - yMin < 1e-9 { (yMin, yMax) = (yMin - 0.5, yMax + 0.5) }
        func x(_ value: Double) -> Double { x0 + (value - xMin) / (xMax - xMin) * width }
        func y(_ value: Double) -> Double { y0 + height - (value - yMin) / (yMax - yMin) * height }
        svg += "<g>\n" + SVGDocument.frame(x: x0, y: y0, width: width, height: height)
        for tick in 0...4 {
            let (xValue, yValue) = (xMin + (xMax - xMin) * Double(tick) / 4, yMin + (yMax - yMin) * Double(tick) / 4)
            svg += SVGDocument.text(String(format: "%.0f", xValue), x: x(xValue), y: y0 + height + 14)
            svg += SVGDocument.text(String(format: "%.3g", yValue), x: x0 - 4, y: y(yValue) + 4, anchor: "end")
        }
        svg += SVGDocument.text("epoch", x: x0 + width / 2, y: y0 + height + 30)
        svg += SVGDocument.text(panel.name, x: x0 + width / 2, y: y0 - 4)
        if !panel.points.isEmpty {
            let color = SVGDocument.colors[0]
            let path = panel.points.map { String(format: "%.2f,%.2f", x($0.0), y($0.1)) }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for (px, py) in panel.points {
                svg += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%@\"/>\n", x(px), y(py), color)
            }
        }
        svg += "</g>\n"
    }
    return svg + SVGDocument.closing
}
