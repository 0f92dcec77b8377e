import Foundation

extension Reference {
    /// The linear probe by its definition, in float64, for a fixed number of full-batch Adam updates: features
    /// standardised with the train set's mean and population deviation (a constant feature's deviation taken as 1),
    /// logits z = x̂ Wᵀ + b from W = 0, b = 0, loss L = (1/N) Σ_i [log Σ_c exp(z_ic) − z_i,y_i] + (λ/2)‖W‖², and
    /// torch's Adam with β = (0.9, 0.999), eps 1e-8 on the gradients (dL/dz)ᵀ x̂ + λW and Σ_i dL/dz_i.
    /// Returns the loss before each update and after the last (iterations + 1 values), W [C, d] and b [C],
    /// and the top-1 / top-min(5, C) accuracy on the test set (ties in a row's logits to the lower class).
    public static func linearProbe(train: [Double], trainLabels: [Int], test: [Double], testLabels: [Int], cols d: Int,
                                   classes: Int, learningRate: Double, weightDecay: Double, iterations: Int)
        -> (losses: [Double], weight: [Double], bias: [Double], top1: Double, top5: Double) {
        let n = trainLabels.count
        let means = (0..<d).map { c in (0..<n).reduce(0) { $0 + train[$1 * d + c] } / Double(n) }
        let deviations = (0..<d).map { c -> Double in
            let variance = (0..<n).reduce(0) { $0 + pow(train[$1 * d + c] - means[c], 2) } / Double(n)
            return variance > 0 ? variance.squareRoot() : 1
        }
        let standardise = { (x: [Double]) in x.indices.map { (x[$0] - means[$0 % d]) / deviations[$0 % d] } }
        let x = standardise(train), xTest = standardise(test)
        var parameters = [Double](repeating: 0, count: classes * d + classes)  // W, then b
        var m = parameters, v = parameters, losses = [Double]()
        func logits(_ features: [Double], row i: Int) -> [Double] {
            (0..<classes).map { c in parameters[classes * d + c] + (0..<d).reduce(0) { $0 + features[i * d + $1] * parameters[c * d + $1] } }
        }
        for step in 0...iterations {
            var gradient = [Double](repeating: 0, count: parameters.count), loss = 0.0
            for i in 0..<n {
                let z = logits(x, row: i), peak = z.max()!
                let lse = peak + log(z.reduce(0) { $0 + exp($1 - peak) })
                loss += (lse - z[trainLabels[i]]) / Double(n)
                for c in 0..<classes {
                    let dz = (exp(z[c] - lse) - (c == trainLabels[i] ? 1 : 0)) / Double(n)
                    for f in 0..<d { gradient[c * d + f] += dz * x[i * d + f] }
                    gradient[classes * d + c] += dz
                }
            }
            for j in 0..<classes * d {
                loss += weightDecay / 2 * parameters[j] * parameters[j]
                gradient[j] += weightDecay * parameters[j]
            }
            losses.append(loss)
            guard step < iterations else { break }
            let t = Double(step + 1)
            for j in parameters.indices {
                m[j] = 0.9 * m[j] + 0.1 * gradient[j]
                v[j] = 0.999 * v[j] + 0.001 * gradient[j] * gradient[j]
                parameters[j] -= learningRate / (1 - pow(0.9, t)) * m[j] / ((v[j] / (1 - pow(0.999, t))).squareRoot() + 1e-8)
            }
        }
        var top1 = 0, top5 = 0
        for (i, label) in testLabels.enumerated() {
            let z = logits(xTest, row: i)
            let ranking = (0..<classes).sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
            if ranking[0] == label { top1 += 1 }
            if ranking.prefix(5).contains(label) { top5 += 1 }
        }
        return (losses, Array(parameters[..<(classes * d)]), Array(parameters[(classes * d)...]),
                Double(top1) / Double(testLabels.count), Double(top5) / Double(testLabels.count))
    }
}
