/// The pieces metrics.svg (`metricsSVG`) and roofline.svg (`rooflineSVG`) share, so that the plots Simile writes look
/// alike: a self-contained SVG document a browser shows, sans-serif at 11 px on white, a title centred on top, framed
/// panels and one colour per series.
enum SVGDocument {
    /// The series colours, in order (matplotlib's first four).
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

    /// The document's opening: the root element, the white background and the title.
    static func opening(width: Double, height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="16" text-anchor="middle" font-size="13">\(escaped(title))</text>

        """
    }

    static let closing = "</svg>\n"

    /// A panel's grey frame.
    static func frame(x: Double, y: Double, width: Double, height: Double) -> String {
        "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\" fill=\"none\" stroke=\"#888\"/>\n"
    }

    /// A text element at (x, y); `anchor` is start, middle or end.
    static func text(_ text: String, x: Double, y: Double, anchor: String = "middle", attributes: String = "") -> String {
        String(format: "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%@\"%@>%@</text>\n", x, y, anchor,
               attributes.isEmpty ? "" : " " + attributes, escaped(text))
    }

    /// `text` with XML's special characters escaped.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
