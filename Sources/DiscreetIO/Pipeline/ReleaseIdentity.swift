/// What a release was made from: the tool version, the spec and every input, by checksum.
/// Computed here only, so that the manifest, the ledger and later releases agree on it.
public struct ReleaseIdentity: Sendable {
    public let toolVersion: String
    public let specPath: String
    public let specSHA256: String
    public let inputs: [InputReport]

    public init(spec: ReleaseSpec, inputs: [InputReport]) {
        toolVersion = DiscreetVersion.current
        specPath = spec.path
        specSHA256 = SHA256.hex(spec.bytes)
        self.inputs = inputs
    }

    /// A checksum over everything the release depends on: same inputs, spec and version,
    /// same identity.
    public var id: String {
        var text = "discreet \(toolVersion)\nspec \(specSHA256)\n"
        for input in inputs { text += "input \(input.sha256) \(input.input.table ?? "")\n" }
        return SHA256.hex(Array(text.utf8))
    }
}
