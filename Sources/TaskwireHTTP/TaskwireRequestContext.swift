public import Hummingbird

/// The request context of Taskwire's HTTP API.
///
/// It carries nothing beyond Hummingbird's core context yet; it is the place where the
/// authenticated identity goes once auth exists.
public struct TaskwireRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage

    /// Creates the context of one request.
    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
