/// What one forward call keeps for its backward pass, and the backward pass that consumes it.
///
///     let (y, record) = try model.recordedForward(x)   // activations kept in `record`
///     let dx = try record.backward(dLossDy)             // parameters' gradients accumulate; `record` is spent
///
/// Every layer saves what its backward needs under its own identity, so the records of two forward calls of
/// one model are independent: two views forwarded, then their backward passes in either order, give the
/// gradients of two separate forward/backward runs (SimSiam, NNCLR, SimCLR with per-view batch norm).
/// A layer used twice in one forward call saves twice, and its backward passes take the entries back in
/// reverse order. A forward without a record keeps nothing (MoCo's key encoder, BYOL's target, evaluation).
public final class ForwardRecord {
    private let root: any Layer
    private var saved: [ObjectIdentifier: [Any]] = [:]
    private var spent = false

    init(root: any Layer) { self.root = root }

    /// dLoss/dinput of the recorded forward call, given dLoss/doutput. A record serves one backward pass: a
    /// second call is an error, as is a gradient shaped unlike the output (each layer checks its own).
    public func backward(_ gradient: Tensor) throws -> Tensor {
        guard !spent else {
            throw SimileError.invalidArgument(
                "this forward record was already used by a backward pass; record a new forward for another one")
        }
        spent = true
        defer { saved = [:] }
        return try root.backward(gradient, from: self)
    }

    /// Keeps `value` for `layer`'s backward pass.
    func save(_ value: Any, for layer: AnyObject) {
        saved[ObjectIdentifier(layer), default: []].append(value)
    }

    /// Takes back the latest value `layer` saved; an error naming `kind` when there is none.
    func take<Value>(for layer: AnyObject, _ kind: String) throws -> Value {
        guard let value = saved[ObjectIdentifier(layer)]?.popLast() as? Value else {
            throw SimileError.invalidArgument(
                "\(kind).backward: this record holds no forward call of the layer (it was not recorded, or its backward already ran)")
        }
        return value
    }

    /// The latest value `layer` saved, read or replaced in place; internal so that tests can give two
    /// backends' records the same ReLU masks.
    subscript<Value>(latest layer: AnyObject, as _: Value.Type) -> Value? {
        get { saved[ObjectIdentifier(layer)]?.last as? Value }
        set {
            guard let newValue, let last = saved[ObjectIdentifier(layer)]?.indices.last else { return }
            saved[ObjectIdentifier(layer)]![last] = newValue
        }
    }
}
