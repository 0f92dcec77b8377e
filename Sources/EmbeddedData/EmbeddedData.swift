/// Data files embedded in the binary at build time (`.embedInCode`), so that a copied executable needs
/// nothing on disk to use them. Each file's origin and licence are in the note beside it.
public enum EmbeddedData {
    /// The UCI optical digits: 1,797 records of a label byte then 64 pixels (uci-digits-LICENSE.md).
    public static let uciDigits: [UInt8] = PackageResources.uci_digits_bin
}
