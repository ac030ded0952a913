#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One process's exclusive hold on a database: a server's, or a command's that must not run
/// beside a server (erase and prune change rows under the server's caches). It is an `flock`
/// on `DB-hold`, which the kernel releases when the process ends however it ends, even by
/// SIGKILL; the file holds the holder's pid for the message.
public final class DatabaseHold: Sendable {
    /// Another process holds the database; its pid when it could be read.
    public struct Held: Error, Sendable {
        public let pid: Int32?
    }

    private let descriptor: Int32

    /// Takes the hold, or throws `Held`. Nil when the hold file cannot be made (an unwritable
    /// folder: opening the database then says what is wrong) or locked at all.
    public static func take(database: String) throws(Held) -> DatabaseHold? {
        let path = database + "-hold"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            // Only a lock someone holds is a refusal; a file system without locks is not.
            guard errno == EWOULDBLOCK else {
                close(descriptor)
                return nil
            }
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &bytes, bytes.count, 0)
            close(descriptor)
            let text = count > 0 ? String(decoding: bytes[0..<count], as: UTF8.self) : ""
            throw Held(pid: Int32(text.split(separator: "\n").first ?? ""))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return DatabaseHold(descriptor: descriptor)
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Closing the file releases the lock; the file itself stays, harmless.
    deinit { close(descriptor) }
}
