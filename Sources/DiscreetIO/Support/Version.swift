/// The version of discreet, written into every manifest.
public enum DiscreetVersion {
    public static let current = "0.5.0"
}
