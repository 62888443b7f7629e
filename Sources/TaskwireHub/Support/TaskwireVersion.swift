/// The version of this Taskwire build.
public enum TaskwireVersion {
    /// Semantic version, sent in `welcome` as `taskwire/VERSION`.
    public static let current = "0.1.0"
}
