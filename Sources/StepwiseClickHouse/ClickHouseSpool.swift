import Foundation
import Synchronization

/// Batches ClickHouse could not take, kept on local disk until it can: an append-only file of
/// framed batches, fsynced before the events in them are acknowledged.
///
/// Replay renames the file aside first, so batches spooled meanwhile start a new file; a
/// replay cut short is simply replayed again, and the rows it already delivered are dropped at
/// query time by their keys.
final class ClickHouseSpool: Sendable {
    let path: String
    private let lock = Mutex(())

    init(path: String) {
        self.path = path
    }

    var replayPath: String { path + ".replaying" }

    func append(_ batch: ClickHouseBatch) throws {
        let frame = Array("#batch \(batch.events.count) \(batch.identities.count)\n".utf8) + batch.events + batch.identities
        try lock.withLock { _ in
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard fd >= 0 else { throw ClickHouseError.unreachable("and the spool \(path) cannot be opened: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var written = 0
            while written < frame.count {
                let n = frame.withUnsafeBytes { write(fd, $0.baseAddress! + written, frame.count - written) }
                guard n > 0 else { throw ClickHouseError.unreachable("and the spool \(path) cannot be written: \(String(cString: strerror(errno)))") }
                written += n
            }
            guard fsync(fd) == 0 else { throw ClickHouseError.unreachable("and the spool \(path) cannot be synced: \(String(cString: strerror(errno)))") }
        }
    }

    /// The file to replay, if any: an interrupted replay first, else the spool moved aside.
    func takeForReplay() -> String? {
        lock.withLock { _ in
            if FileManager.default.fileExists(atPath: replayPath) { return replayPath }
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 else { return nil }
            return rename(path, replayPath) == 0 ? replayPath : nil
        }
    }

    /// The whole batches of a spool file; a frame torn by a crash (never acknowledged) is dropped.
    static func batches(in file: String) throws -> [ClickHouseBatch] {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        var out: [ClickHouseBatch] = []
        var i = 0
        while i < data.count {
            guard let newline = data[i...].firstIndex(of: 10) else { break }
            let header = String(decoding: data[i..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, header[0] == "#batch", let e = Int(header[1]), let d = Int(header[2]),
                  newline + 1 + e + d <= data.count else { break }
            let start = newline + 1
            out.append(ClickHouseBatch(events: Array(data[start..<(start + e)]), identities: Array(data[(start + e)..<(start + e + d)]), rows: 0))
            i = start + e + d
        }
        return out
    }

    func finish(_ file: String) {
        lock.withLock { _ in _ = unlink(file) }
    }

    /// Bytes waiting in the spool (both files).
    var pendingBytes: Int {
        [path, replayPath].reduce(0) { total, file in
            total + (((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0)
        }
    }
}

/// Rows for one insert: events and identity links as `JSONEachRow` text (UTF-8 bytes).
struct ClickHouseBatch: Sendable {
    var events: [UInt8]
    var identities: [UInt8]
    var rows: Int
}
