/// The index of element `flat` of a row-major array of `shape`: [1, 2] for element 5 of [2, 3]; [] for a scalar.
/// Errors name elements this way.
func rowMajorIndex(_ flat: Int, in shape: [Int]) -> [Int] {
    var rest = flat
    var index: [Int] = []
    for extent in shape.reversed() {
        index.insert(rest % max(extent, 1), at: 0)
        rest /= max(extent, 1)
    }
    return index
}
