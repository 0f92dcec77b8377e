import Foundation

/// The k most similar train rows of one test row, kept as a min-heap whose root is the worst kept neighbour.
/// "Worse" is a lower similarity, or an equal similarity at a higher train index, so among exact ties the lower
/// index is kept (as `nearestNeighbours` does). Rows must be offered in increasing index order: then an offer
/// only displaces the root when its similarity is strictly larger than `floor`, so the caller's scan skips most
/// rows with that one compare.
struct NeighbourHeap {
    let capacity: Int
    private(set) var similarities: [Float] = []
    private(set) var indices: [Int] = []
    /// The similarity an offer must exceed: −∞ until the heap is full, then the worst kept similarity.
    private(set) var floor = -Float.infinity

    init(capacity: Int) {
        self.capacity = capacity
        similarities.reserveCapacity(capacity)
        indices.reserveCapacity(capacity)
    }

    mutating func removeAll() {
        similarities.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        floor = -.infinity
    }

    /// Offers train row `index` with cosine `similarity`; `index` is larger than every index offered before.
    mutating func offer(_ similarity: Float, _ index: Int) {
        guard similarity > floor else { return }
        if similarities.count < capacity {
            similarities.append(similarity)
            indices.append(index)
            siftUp(similarities.count - 1)
        } else {
            (similarities[0], indices[0]) = (similarity, index)
            siftDown(0)
        }
        if similarities.count == capacity { floor = similarities[0] }
    }

    private func worse(_ a: Int, _ b: Int) -> Bool {
        similarities[a] < similarities[b] || (similarities[a] == similarities[b] && indices[a] > indices[b])
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        similarities.swapAt(a, b)
        indices.swapAt(a, b)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0, worse(child, (child - 1) / 2) {
            swapAt(child, (child - 1) / 2)
            child = (child - 1) / 2
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var worst = parent
            for child in [2 * parent + 1, 2 * parent + 2] where child < similarities.count && worse(child, worst) {
                worst = child
            }
            guard worst != parent else { return }
            swapAt(parent, worst)
            parent = worst
        }
    }
}

/// InstDisc's weighted vote (solo-learn's and lightly's `knn_predict`): class c scores Σ exp(s_j / T) over the
/// kept neighbours j labelled c, accumulated into `scores` (one per class, zeroed here) in float64. Each term is
/// taken as exp((s_j − s_max) / T), s_max the largest kept similarity: a common factor exp(−s_max / T) changes no
/// ranking and keeps every term in (0, 1] at any T > 0 (exp(1/T) itself overflows float64 below T ≈ 0.0014).
func weightedVote(_ neighbours: NeighbourHeap, labels: [Int], temperature: Double,
                  into scores: UnsafeMutableBufferPointer<Double>) {
    scores.update(repeating: 0)
    let peak = Double(neighbours.similarities.max() ?? 0)
    for (similarity, index) in zip(neighbours.similarities, neighbours.indices) {
        scores[labels[index]] += exp((Double(similarity) - peak) / temperature)
    }
}
