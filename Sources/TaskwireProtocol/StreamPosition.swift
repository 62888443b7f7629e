/// A position in a stream: the last `seq` a client saw, within an `epoch`.
public struct StreamPosition: Sendable, Hashable {
    public var seq: UInt64
    public var epoch: String

    public init(seq: UInt64, epoch: String) {
        self.seq = seq
        self.epoch = epoch
    }
}
