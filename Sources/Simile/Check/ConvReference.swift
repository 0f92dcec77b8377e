extension Reference {
    /// Calls `body(n, o, c, oh, ow, ih, iw, kh, kw)` for every term of the convolution sum whose input
    /// position lies inside the (unpadded) image: the seven loops all four references share.
    private static func forEachConvTerm(_ g: ConvGeometry,
                                        _ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for c in 0..<g.inChannels {
                    for oh in 0..<g.outHeight {
                        for ow in 0..<g.outWidth {
                            for kh in 0..<g.kernelHeight {
                                let ih = oh * g.stride - g.padding + kh
                                guard ih >= 0, ih < g.height else { continue }
                                for kw in 0..<g.kernelWidth {
                                    let iw = ow * g.stride - g.padding + kw
                                    guard iw >= 0, iw < g.width else { continue }
                                    body(n, o, c, oh, ow, ih, iw, kh, kw)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// y[n,o,oh,ow] = bias[o] + Σ_{c,kh,kw} x[n,c,oh·s−p+kh, ow·s−p+kw] · w[o,c,kh,kw] (zero outside x).
    public static func conv2d(_ x: [Double], weight w: [Double], bias: [Double]?, _ g: ConvGeometry) -> [Double] {
        let spatial = g.outHeight * g.outWidth
        var y = [Double](repeating: 0, count: g.batch * g.outChannels * spatial)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for p in 0..<spatial { y[(n * g.outChannels + o) * spatial + p] = bias?[o] ?? 0 }
            }
        }
        forEachConvTerm(g) { n, o, c, oh, ow, ih, iw, kh, kw in
            y[((n * g.outChannels + o) * g.outHeight + oh) * g.outWidth + ow] +=
                x[((n * g.inChannels + c) * g.height + ih) * g.width + iw]
                * w[((o * g.inChannels + c) * g.kernelHeight + kh) * g.kernelWidth + kw]
        }
        return y
    }

    /// dL/dx[n,c,ih,iw] = Σ over the terms that read x[n,c,ih,iw] of dy[n,o,oh,ow] · w[o,c,kh,kw].
    public static func conv2dBackwardInput(_ dy: [Double], weight w: [Double], _ g: ConvGeometry) -> [Double] {
        var dx = [Double](repeating: 0, count: g.batch * g.inChannels * g.height * g.width)
        forEachConvTerm(g) { n, o, c, oh, ow, ih, iw, kh, kw in
            dx[((n * g.inChannels + c) * g.height + ih) * g.width + iw] +=
                dy[((n * g.outChannels + o) * g.outHeight + oh) * g.outWidth + ow]
                * w[((o * g.inChannels + c) * g.kernelHeight + kh) * g.kernelWidth + kw]
        }
        return dx
    }

    /// dL/dw[o,c,kh,kw] = Σ_{n,oh,ow} dy[n,o,oh,ow] · x[n,c,oh·s−p+kh, ow·s−p+kw].
    public static func conv2dBackwardWeight(_ dy: [Double], input x: [Double], _ g: ConvGeometry) -> [Double] {
        var dw = [Double](repeating: 0, count: g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth)
        forEachConvTerm(g) { n, o, c, oh, ow, ih, iw, kh, kw in
            dw[((o * g.inChannels + c) * g.kernelHeight + kh) * g.kernelWidth + kw] +=
                dy[((n * g.outChannels + o) * g.outHeight + oh) * g.outWidth + ow]
                * x[((n * g.inChannels + c) * g.height + ih) * g.width + iw]
        }
        return dw
    }

    /// dL/dbias[o] = Σ_{n,oh,ow} dy[n,o,oh,ow].
    public static func conv2dBackwardBias(_ dy: [Double], _ g: ConvGeometry) -> [Double] {
        let spatial = g.outHeight * g.outWidth
        return sumAxis(sumAxis(dy, outer: g.batch * g.outChannels, n: spatial, inner: 1),
                       outer: 1, n: g.batch, inner: g.outChannels)
    }
}
