/*
 * positive_loss: -log of a positive's softmax probability, shared by contrastive_finish (NT-Xent) and
 * infonce_finish; a kernel file includes it with #include "positive_loss.cl", which the program cache replaces by
 * this text. Sources/Simile/Losses/PositiveLoss.swift is the same for the CPU and says why.
 *
 * positive_loss(Z, gap) = log((e + Z) / e) with e = exp(-gap): Z is the row's negatives summed apart from the
 * positive (sum of exp(s_k - c) around the row's shift c) and gap = c - s+. It is log1p(Z / e) while Z <= e, so a
 * loss far below float32's spacing near the logits keeps its relative precision and is never negative (lse - s+
 * keeps none of it); past that, gap + log(Z + e), which cannot overflow and needs no normal e.
 */
float positive_loss(const float Z, const float gap) {
    const float e = exp(-gap);
    return Z <= e ? log1p(Z / e) : gap + log(Z + e);
}
