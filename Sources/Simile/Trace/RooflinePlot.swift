import Foundation

/// roofline.svg: each kernel of `totals` with both a flop and a byte count as a dot at its arithmetic intensity
/// (flops per byte, log x) and achieved GFLOP/s (log y), under its device's two measured ceilings, the bandwidth line
/// (GB/s × intensity) and the compute line (GFLOP/s), which meet at the ridge point. One colour per device. Kernels
/// without a flop count cannot be placed; a line under the plot says how many.
public func rooflineSVG(_ totals: [KernelTotal], peaks: [String: DevicePeaks], title: String) -> String {
    let (width, height) = (720.0, 520.0)
    let (x0, y0, plotWidth, plotHeight) = (70.0, 40.0, 600.0, 380.0)
    let placed = totals.filter { $0.intensity != nil && $0.gflops != nil }
    let devices = Array(Set(placed.map(\.device)).union(peaks.keys)).sorted()
    let ridges = devices.compactMap { peaks[$0] }.map { $0.gflops / $0.gbps }
    func decade(_ value: Double, up: Bool) -> Double { pow(10, up ? ceil(log10(value)) : floor(log10(value))) }
    let intensities = placed.compactMap(\.intensity) + ridges.flatMap { [$0 / 100, $0 * 10] }
    let (xMin, xMax) = (decade(intensities.min() ?? 0.01, up: false), decade(intensities.max() ?? 100, up: true))
    let rates = placed.compactMap(\.gflops) + devices.compactMap { peaks[$0] }.flatMap { [$0.gflops * 2, $0.gbps * xMin] }
    var (yMin, yMax) = (decade(rates.min() ?? 0.1, up: false), decade(rates.max() ?? 1000, up: true))
    if yMax <= yMin { yMax = yMin * 10 }
    let xMaxChecked = xMax > xMin ? xMax : xMin * 10
    func x(_ value: Double) -> Double { x0 + log10(value / xMin) / log10(xMaxChecked / xMin) * plotWidth }
    func y(_ value: Double) -> Double { y0 + plotHeight - log10(value / yMin) / log10(yMax / yMin) * plotHeight }

    var svg = SVGDocument.opening(width: width, height: height, title: title)
    svg += SVGDocument.frame(x: x0, y: y0, width: plotWidth, height: plotHeight)
    var tick = xMin
    while tick <= xMaxChecked * 1.0001 {
        svg += SVGDocument.text(String(format: "%g", tick), x: x(tick), y: y0 + plotHeight + 14)
        tick *= 10
    }
    tick = yMin
    while tick <= yMax * 1.0001 {
        svg += SVGDocument.text(String(format: "%g", tick), x: x0 - 4, y: y(tick) + 4, anchor: "end")
        tick *= 10
    }
    svg += SVGDocument.text("arithmetic intensity (flop/byte)", x: x0 + plotWidth / 2, y: y0 + plotHeight + 30)
    let middle = y0 + plotHeight / 2
    svg += SVGDocument.text("GFLOP/s", x: 16, y: middle, attributes: "transform=\"rotate(-90 16 \(middle))\"")
    var legendY = y0 + plotHeight + 50
    for (index, device) in devices.enumerated() {
        let color = SVGDocument.colors[index % SVGDocument.colors.count]
        if let peak = peaks[device] {
            // The bandwidth line from the left edge to the ridge, then the compute line to the right edge.
            let ridge = min(max(peak.gflops / peak.gbps, xMin), xMaxChecked)
            let points = [(xMin, peak.gbps * xMin), (ridge, min(peak.gbps * ridge, peak.gflops)),
                          (xMaxChecked, peak.gflops)]
            let path = points.map { String(format: "%.2f,%.2f", x($0.0), y(max($0.1, yMin))) }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" "
                + "stroke-dasharray=\"6 3\"/>\n"
        }
        let ceiling = peaks[device].map { ": \($0)" } ?? ": no peaks measured"
        svg += SVGDocument.text("\(device)\(ceiling)", x: x0, y: legendY, anchor: "start", attributes: "fill=\"\(color)\"")
        legendY += 15
        for total in placed where total.device == device {
            let (px, py) = (x(total.intensity!), y(total.gflops!))
            svg += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%@\"><title>%@</title></circle>\n", px, py,
                          color, SVGDocument.escaped(String(format: "%@ on %@: %.3g flop/byte, %.3g GFLOP/s", total.name,
                                                                   device, total.intensity!, total.gflops!)))
            svg += SVGDocument.text(total.name, x: px + 6, y: py - 6, anchor: "start", attributes: "font-size=\"9\"")
        }
    }
    let unplaced = totals.count - placed.count
    if unplaced > 0 {
        svg += SVGDocument.text("\(unplaced) of \(totals.count) kernels have no flop count and are not shown",
                                x: x0, y: legendY, anchor: "start")
    }
    return svg + SVGDocument.closing
}
