/// What happened to one event handed to the store.
public enum AppendOutcome: Sendable, Equatable {
    /// Durably committed.
    case stored
    /// An event with the same id was already stored for the site; nothing was written.
    case duplicate
}
