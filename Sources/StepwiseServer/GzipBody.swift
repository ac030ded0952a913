import CZlib
import NIOCore

/// Inflates a gzip request body, refusing to grow it past `limit` bytes (a small body can
/// inflate to gigabytes: the limit applies to what it becomes, not only to what was sent).
enum GzipBody {
    enum Failure: Error { case corrupt, tooLarge }

    static func inflate(_ body: ByteBuffer, limit: Int) throws(Failure) -> ByteBuffer {
        var stream = z_stream()
        // 16 + MAX_WBITS: a gzip header and trailer, not a raw zlib stream.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .corrupt }
        defer { inflateEnd(&stream) }
        var input = Array(body.readableBytesView)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let status: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                let code: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { return Z_BUF_ERROR }
                if code == Z_STREAM_END { return Z_STREAM_END }
                if code != Z_OK { return code }
                if stream.avail_in == 0 && produced == 0 { return Z_DATA_ERROR }
            }
        }
        if output.count > limit { throw .tooLarge }
        guard status == Z_STREAM_END else { throw .corrupt }
        return ByteBuffer(bytes: output)
    }
}
