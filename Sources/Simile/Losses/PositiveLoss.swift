import Foundation

/// −log of a positive's softmax probability, ℓ = log((e₊ + Z)/e₊), for NT-Xent and InfoNCE: from Z, the row's
/// negatives summed apart from the positive (Σ exp(s_k − c) around the row's shift c), and gap = c − s₊, so that
/// e₊ = exp(−gap). Kernels/positive_loss.cl is the same for OpenCL.
///
/// Why not lse − s₊: when the positive dominates, ℓ ≈ Z/e₊ lies far below float32's spacing near lse and s₊
/// (about 1e-6 at τ = 0.1, where two near-identical views with antipodal negatives have ℓ ≈ 4e-9), so the
/// difference keeps none of it and can even come out negative. log1p(Z/e₊) keeps ℓ's relative precision and is
/// never negative. From Z > e₊ on, ℓ > log 2 has nothing to lose, and gap + log(Z + e₊) neither overflows where
/// Z/e₊ would nor needs e₊ to be a normal float. The gradient's 1 − P₊ is likewise Z/(Z + e₊), not a subtraction.
func positiveLoss(negatives z: Float, gap: Float) -> Float {
    let positive = exp(-gap)
    return z <= positive ? log1p(z / positive) : gap + log(z + positive)
}
